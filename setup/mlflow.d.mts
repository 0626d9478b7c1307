// Types for mlflow.mjs, so TypeScript tests can import it.
import type { StepContext } from './temporal.mjs';
export declare function mlflowPaths(cache: string): { dir: string; venv: string; python: string; mlflow: string; marker: string };
export declare function check(ctx: StepContext): Promise<{ ok: boolean; detail: string }>;
export declare function ensure(ctx: StepContext): Promise<{ detail: string; tools: Record<string, string> }>;
