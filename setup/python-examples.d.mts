// Types for python-examples.mjs, so TypeScript tests can import it.
import type { StepContext } from './temporal.mjs';
export declare const SKLEARN_VERSION: string;
export declare const REQUIREMENTS_FILE: string;
export declare function examplesPaths(cache: string): { dir: string; venv: string; python: string; marker: string };
export declare function check(ctx: StepContext): Promise<{ ok: boolean; detail: string }>;
export declare function ensure(ctx: StepContext): Promise<{ detail: string; tools: Record<string, string> }>;
