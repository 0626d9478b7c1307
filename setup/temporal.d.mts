// Types for temporal.mjs, so TypeScript tests can import it.
export interface StepContext {
  repoRoot: string;
  cache: string;
  env: Record<string, string | undefined>;
  progress(message: string): void;
}
export declare const TEMPORAL_WHEEL_VERSION: string;
export declare const TEMPORAL_GO_VERSION: string;
export declare const REQUIREMENTS_FILE: string;
export declare function wheelInstallDir(cache: string): string;
export declare function failureReason(message: string): string;
export declare function check(ctx: StepContext): Promise<{ ok: boolean; detail: string }>;
export declare function ensure(ctx: StepContext): Promise<{ detail: string; tools: Record<string, string> }>;
