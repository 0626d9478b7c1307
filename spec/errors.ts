// Errors in a spec file, each pinned to a place in it, rendered one per line as
// `file:line:column: path.to.field: what is wrong (what was expected)` so editors and terminals can jump there.

export interface SpecProblem {
  file: string;
  /** 1-based; 0 when the problem concerns the whole file (it cannot be read, for instance). */
  line: number;
  /** 1-based; 0 together with line 0. */
  column: number;
  /** Dotted field path such as `search.space.lr.low` or `objective[1].metric`; empty for the file itself. */
  path: string;
  message: string;
}

export function renderProblem(problem: SpecProblem): string {
  const place = problem.line > 0 ? `${problem.file}:${problem.line}:${problem.column}` : problem.file;
  const field = problem.path === '' ? '' : `${problem.path}: `;
  return `${place}: ${field}${problem.message}`;
}

export class SpecError extends Error {
  override readonly name = 'SpecError';
  readonly problems: readonly SpecProblem[];

  constructor(problems: SpecProblem[]) {
    const sorted = [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
    super(sorted.map(renderProblem).join('\n'));
    this.problems = sorted;
  }
}

export function isSpecError(err: unknown): err is SpecError {
  return err instanceof SpecError;
}

/** What the CLI prints for an error from loading a spec: the problem lines, or the message of anything else. */
export function formatSpecError(err: unknown): string {
  if (err instanceof SpecError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A problem found in parsed data, before it is pinned to a line: the field and whether its key or value is at fault. */
export interface FieldIssue {
  path: (string | number)[];
  message: string;
  /** `key` for a key that should not be there; `value` (the default) for a bad value or a map missing a field. */
  target?: 'key' | 'value';
}
