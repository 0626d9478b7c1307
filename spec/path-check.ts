// Paths a spec hands to the workers (custom data files) must not climb out of the project with `..`:
// a spec from someone else should not make a worker read ~/.ssh or /etc. Absolute paths are an explicit
// choice of where the data lives and are allowed. Pure: no I/O, the files are not looked at here.
import { posix, win32 } from 'node:path';
import type { FieldIssue } from './errors';

/** `../x`, `data/../../x`, `/data/../../etc`: any path whose `..` segments reach above where it starts. */
export function climbsOut(path: string): boolean {
  const unix = path.replace(/\\/g, '/');
  if (!unix.split('/').includes('..')) return false;
  if (posix.isAbsolute(unix) || win32.isAbsolute(path)) return true;
  const normalized = posix.normalize(unix);
  return normalized === '..' || normalized.startsWith('../');
}

/** Every string among the data set's options that escapes the project: they are read as files on the workers. */
export function checkDataPaths(options: Record<string, unknown>): FieldIssue[] {
  return Object.entries(options)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string' && climbsOut(entry[1]))
    .map(([key, value]) => ({
      path: ['dataset', 'options', key],
      message: `path "${value}" climbs out of the project with ".."; keep data inside the project or give an absolute path without ".."`,
    }));
}
