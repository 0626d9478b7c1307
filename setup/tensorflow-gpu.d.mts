// Types for tensorflow-gpu.mjs, so TypeScript tests can import it.
export declare const CUDA_LIBRARIES: string[];
export declare function cudaRequirements(metadata: string, file?: string): string[];
export declare function cudaFolderName(requirements: string[]): string;
export declare function cudaLibDirs(dir: string): string[];
export declare function missingCudaLibraries(libDirs: string[]): string[];
export declare function linkNvidia(libDir: string, cudaDir: string, options?: { relative?: boolean }): void;
export declare function unlinkNvidia(libDir: string): void;
