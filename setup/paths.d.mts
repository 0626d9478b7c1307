// Types for paths.mjs, so TypeScript tests can import it.
export declare const repoRoot: string;
export declare function cacheDir(env?: Record<string, string | undefined>, homeDir?: string): string;
export declare function toolsFile(cache: string): string;
export declare function readTools(cache: string): Record<string, unknown>;
export declare function writeTools(cache: string, tools: Record<string, unknown>): Record<string, unknown>;
export declare function systemPython(env?: Record<string, string | undefined>): string;
export declare function requirePython(python: string, min: [number, number], needs: string, otherwise?: string): Promise<void>;
