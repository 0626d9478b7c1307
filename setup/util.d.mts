// Types for util.mjs, so TypeScript tests can import it.
export declare class SetupError extends Error {}
export declare function run(command: string, args: string[], options?: { cwd?: string; env?: Record<string, string | undefined>; logFile?: string }): Promise<string>;
export declare function whichOnPath(name: string, env?: Record<string, string | undefined>): string | null;
export declare function buildDirAtomically(finalDir: string, build: (tmpDir: string) => Promise<void>): Promise<void>;
export declare function writeFileAtomically(file: string, data: string): void;
export declare function linkOrCopy(src: string, dest: string): void;
export declare function formatSeconds(ms: number): string;
export declare function versionOf(bin: string): Promise<string>;
export declare function findWorkingTool(
  env: Record<string, string | undefined>,
  variable: string,
  candidates: { bin: string | null; source: string }[],
): Promise<{ bin: string; version: string; source: string } | null>;
