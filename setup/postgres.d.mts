// Types for postgres.mjs, so TypeScript tests can import it.
import type { StepContext } from './temporal.mjs';
export declare const PSYCOPG2_VERSION: string;
export declare const DRIVER: string;
export declare function findBinDir(env: Record<string, string | undefined>, debianRoot?: string): Promise<{ dir: string; version: string; source: string } | null>;
export declare function check(ctx: StepContext, options?: { isRoot?: boolean; debianRoot?: string }): Promise<{ ok: boolean; detail: string }>;
export declare function ensure(ctx: StepContext, options?: { isRoot?: boolean; debianRoot?: string }): Promise<{ detail: string; tools: Record<string, string> }>;
