// The errors the search code throws for bad input. Each names what was wrong, so a caller can point
// at the field (the spec loader maps them to file:line:column).

/**
 * A search space that cannot be searched. `param` is the parameter's name (null: the space as a whole);
 * `field` is the path inside the parameter's definition, e.g. `['low']`, `['when', 'optimizer']`, `[]`.
 */
export class SpaceError extends Error {
  override readonly name: string = 'SpaceError';
  constructor(
    readonly param: string | null,
    problem: string,
    readonly field: readonly (string | number)[] = [],
  ) {
    super(param === null ? `search space: ${problem}` : `parameter "${param}": ${problem}`);
  }
}

/** An unknown sampler/scheduler type or a bad option. `field` is `type` or `options.<name>`. */
export class AlgorithmConfigError extends Error {
  override readonly name: string = 'AlgorithmConfigError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Misuse of the ask/tell study: an unknown trial, a trial told twice, a configuration outside the space. */
export class StudyError extends Error {
  override readonly name: string = 'StudyError';
}

/** Every configuration of a finite space was already tried. */
export class SpaceExhaustedError extends StudyError {
  override readonly name: string = 'SpaceExhaustedError';
}
