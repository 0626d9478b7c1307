// Types shared by the samplers, the schedulers and the study. The space vocabulary itself is in
// space-types.ts (the spec uses it too).
import type { Params } from './space-types';

export type Direction = 'minimize' | 'maximize';

export type TrialState = 'RUNNING' | 'COMPLETE' | 'PRUNED' | 'FAIL';

/** One trial as the algorithms see it: plain JSON, so it can travel in workflow history. */
export interface TrialView {
  number: number;
  params: Params;
  state: TrialState;
  /** Objective values of a COMPLETE trial, one per direction. */
  values?: number[];
  /**
   * Constraint values of a finished trial (Optuna's `constraints_func` convention): each value <= 0 means
   * that constraint is satisfied, a positive value is how far it is violated. The trial is feasible when
   * all are <= 0; absent means no constraints (feasible). Samplers that know constraints prefer feasible
   * regions; see `search/pareto.ts` (`isFeasible`, `totalViolation`).
   */
  constraints?: number[];
  /** First objective per reported step (the campaign reports after each epoch: epoch → value). */
  intermediate?: Record<number, number>;
  /**
   * Several objectives: every objective per reported step (step → one value per direction; its first
   * entry is `intermediate`'s value). Schedulers judge by Pareto dominance on it when the context has
   * several `directions` (docs/objectives.md, "Pruning with several objectives").
   */
  intermediateValues?: Record<number, number[]>;
  /**
   * A RUNNING trial stopped at a rung by a promotion-type scheduler (ASHA, Hyperband in promotion mode):
   * it holds no worker and resumes from its checkpoint when `Scheduler.promotions` names it.
   */
  paused?: boolean;
}

/** `{type, options}` as written in a spec: picks a registered sampler or scheduler. */
export interface AlgorithmConfig {
  type: string;
  options?: Record<string, unknown>;
}
