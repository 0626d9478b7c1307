// Types for browser.mjs, so TypeScript tests can import it.
import type { StepContext } from './temporal.mjs';
export declare function check(ctx: StepContext): Promise<{ ok: boolean; detail: string }>;
export declare function ensure(ctx: StepContext, options?: { isRoot?: boolean }): Promise<{ detail: string; tools: Record<string, string> }>;
