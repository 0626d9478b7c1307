// Types for npm.mjs, so TypeScript tests can import it.
export declare function npmInstallReason(repoRoot: string): string | null;
