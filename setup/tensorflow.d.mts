// Types for tensorflow.mjs, so TypeScript tests can import it.
import type { StepContext } from './graph-engine.mjs';

export interface TensorflowTools {
  version: string;
  flavor: 'cpu' | 'gpu';
  lib: string;
  cudaDir?: string;
  cudaLibDirs?: string[];
  cudaPackages?: Record<string, string>;
}
export declare const TF_VERSION: string;
export declare function libtensorflowDir(cache: string, flavor?: 'cpu' | 'gpu'): string;
export declare function nodeHeadersDir(): string;
export declare function check(ctx: StepContext): Promise<{ ok: boolean; detail: string }>;
export declare function ensure(ctx: StepContext): Promise<{ detail: string; tools: { tensorflow: TensorflowTools } }>;
