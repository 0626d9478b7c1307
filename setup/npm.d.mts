// Types for npm.mjs, so TypeScript tests can import it.
export declare function npmInstallReason(repoRoot: string): string | null;
export declare function linkedNodeModules(repoRoot: string): string | null;
export declare function check(ctx: { repoRoot: string; cache: string; env: Record<string, string | undefined>; progress(message: string): void }): Promise<{ ok: boolean; detail: string }>;
export declare function ensure(ctx: { repoRoot: string; cache: string; env: Record<string, string | undefined>; progress(message: string): void }): Promise<{ detail: string }>;
