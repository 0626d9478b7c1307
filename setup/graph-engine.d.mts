// Types for graph-engine.mjs, so TypeScript tests can import it.
interface StepContext {
  repoRoot: string;
  cache: string;
  env: Record<string, string | undefined>;
  progress: (message: string) => void;
}
export declare function check(ctx: StepContext): Promise<{ ok: boolean; detail: string }>;
export declare function ensure(ctx: StepContext): Promise<{ detail: string; tools: { graphEngine: { addon: string; tensorflow: string } } }>;
export declare function failedTools(message: string): { graphEngine: { error: string } };
