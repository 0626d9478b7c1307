// Types for index.mjs, so TypeScript tests can import it.
export declare function parseOptions(argv: string[], env?: Record<string, string | undefined>): { check: boolean; skip: Set<string>; gpu: boolean };
