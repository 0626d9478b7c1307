// The search-space vocabulary shared by the spec (`search.space`) and the ask/tell API.
// A space maps parameter names to a definition, written exactly as in the YAML spec.

export type Scalar = number | string | boolean;

/** `when: {optimizer: sgd}` or `when: {optimizer: [sgd, rmsprop]}`: active only if every entry matches. */
export type Condition = Record<string, Scalar | Scalar[]>;

export interface FloatParam {
  type: 'float';
  low: number;
  high: number;
  log?: boolean;
  step?: number;
  when?: Condition;
}

export interface IntParam {
  type: 'int';
  low: number;
  high: number;
  log?: boolean;
  step?: number;
  when?: Condition;
}

export interface CategoricalParam {
  type: 'categorical';
  choices: Scalar[];
  when?: Condition;
}

export interface FixedParam {
  type: 'fixed';
  value: Scalar;
  when?: Condition;
}

/** A bare scalar in the YAML is a fixed value. */
export type ParamSpec = FloatParam | IntParam | CategoricalParam | FixedParam | Scalar;

export type SearchSpace = Record<string, ParamSpec>;

/** One configuration. Conditional parameters whose `when` does not hold are absent. */
export type Params = Record<string, Scalar>;
