// Types for graph-engine.mjs, so TypeScript tests can import it.
/** What index.mjs passes every step (tensorflow.d.mts uses it too). */
export interface StepContext {
  repoRoot: string;
  cache: string;
  env: Record<string, string | undefined>;
  progress: (message: string) => void;
  /** Which TensorFlow build to install or link against (tensorflow: default cpu; graph engine: default the one tools.json records, else cpu). */
  flavor?: 'cpu' | 'gpu';
}
export declare function check(ctx: StepContext): Promise<{ ok: boolean; detail: string }>;
export declare function ensure(ctx: StepContext): Promise<{ detail: string; tools: { graphEngine: { addon: string; tensorflow: string; flavor: 'cpu' | 'gpu' } } }>;
export declare function failedTools(message: string): { graphEngine: { error: string } };
