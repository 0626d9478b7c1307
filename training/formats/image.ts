// Image helpers for loaders of published image files: the binary PPM (P6) format of GTSRB, and
// bilinear resizing to the fixed size a model needs.

export class ImageFormatError extends Error {
  override readonly name = 'ImageFormatError';
}

export interface RgbImage {
  width: number;
  height: number;
  /** Row-major RGB, 3 bytes per pixel. */
  pixels: Uint8Array;
}

/** Decodes a binary PPM (P6) image with maxval up to 255; header comments (#...) are allowed. */
export function decodePpm(bytes: Uint8Array, where = 'PPM image'): RgbImage {
  let pos = 0;
  const token = (): string => {
    for (;;) {
      while (pos < bytes.length && /\s/.test(String.fromCharCode(bytes[pos]!))) pos++;
      if (bytes[pos] !== 0x23) break; // '#': comment to end of line
      while (pos < bytes.length && bytes[pos] !== 0x0a) pos++;
    }
    const start = pos;
    while (pos < bytes.length && !/\s/.test(String.fromCharCode(bytes[pos]!))) pos++;
    return Buffer.from(bytes.subarray(start, pos)).toString('latin1');
  };
  const magic = token();
  if (magic !== 'P6') throw new ImageFormatError(`${where}: not a binary PPM (magic ${JSON.stringify(magic)}, expected P6)`);
  const width = Number(token());
  const height = Number(token());
  const maxval = Number(token());
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new ImageFormatError(`${where}: bad size ${width}x${height}`);
  if (!Number.isInteger(maxval) || maxval < 1 || maxval > 255) throw new ImageFormatError(`${where}: maxval ${maxval} is not supported (1..255)`);
  pos++; // exactly one whitespace byte separates the header from the pixels
  const size = width * height * 3;
  if (pos + size > bytes.length) throw new ImageFormatError(`${where}: ${bytes.length - pos} pixel bytes, ${width}x${height} needs ${size}`);
  let pixels = bytes.slice(pos, pos + size);
  if (maxval !== 255) pixels = pixels.map((v) => Math.round((v * 255) / maxval));
  return { width, height, pixels };
}

/** The region [x1, x2] x [y1, y2] (inclusive pixel coordinates, as GTSRB's ROI columns are), clamped. */
export function cropRgb(image: RgbImage, x1: number, y1: number, x2: number, y2: number): RgbImage {
  const left = Math.max(0, Math.min(x1, image.width - 1));
  const top = Math.max(0, Math.min(y1, image.height - 1));
  const width = Math.max(1, Math.min(x2, image.width - 1) - left + 1);
  const height = Math.max(1, Math.min(y2, image.height - 1) - top + 1);
  const pixels = new Uint8Array(width * height * 3);
  for (let row = 0; row < height; row++) {
    const from = ((top + row) * image.width + left) * 3;
    pixels.set(image.pixels.subarray(from, from + width * 3), row * width * 3);
  }
  return { width, height, pixels };
}

/**
 * Bilinear resize of an interleaved image with `channels` values per pixel to `width` x `height`
 * (pixel centres aligned, as OpenCV's INTER_LINEAR and TensorFlow's half_pixel_centers do).
 */
export function resizeBilinear(pixels: Uint8Array, fromWidth: number, fromHeight: number, channels: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * channels);
  const scaleX = fromWidth / width;
  const scaleY = fromHeight / height;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.max((y + 0.5) * scaleY - 0.5, 0), fromHeight - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, fromHeight - 1);
    const fy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.max((x + 0.5) * scaleX - 0.5, 0), fromWidth - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, fromWidth - 1);
      const fx = sx - x0;
      for (let c = 0; c < channels; c++) {
        const at = (yy: number, xx: number) => pixels[(yy * fromWidth + xx) * channels + c]!;
        const top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx;
        const bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx;
        out[(y * width + x) * channels + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return out;
}

/** A binary PPM (P6) file of an RGB image: the inverse of decodePpm, for tests and tools. */
export function encodePpm(image: RgbImage): Uint8Array {
  return new Uint8Array(Buffer.concat([Buffer.from(`P6\n${image.width} ${image.height}\n255\n`, 'latin1'), image.pixels]));
}
