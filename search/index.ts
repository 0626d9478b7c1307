// The public API of tuneflow's search algorithms (also published as `tuneflow/search`). Pure: no I/O,
// no clock, no Math.random, so workflow code may import it.
export { createStudy, studyFromJSON } from './study';
export type { AskedTrial, Study, StudyJSON, StudyOptions, TellOptions, TellResult } from './study';
export { constrainedDominates, crowdingDistance, dominates, hypervolume2D, isFeasible, nonDominatedSort, paretoFront, totalViolation } from './pareto';
export { compareTies, compareValues, rankFeasible, rankFeasibleFronts, TIE_BREAK_METRIC } from './ranking';
export type { Rankable, Ranked } from './ranking';
export { campaignStopReason } from './stopping';
export { accuracyMargin, isAccuracy, separation } from './separation';
export type { Separation, SeparationInput } from './separation';
export type { StopRule } from './stopping';
export { suggest, MAX_ATTEMPTS, ENUMERATION_LIMIT } from './suggest';
export type { SuggestRequest } from './suggest';
export {
  activeParams,
  buildParams,
  choiceIndex,
  contains,
  enumerateParams,
  explainParams,
  fromUnit,
  gridIndex,
  gridValue,
  isActive,
  paramsKey,
  parseSpace,
  toUnit,
  valueProblem,
} from './space';
export type { CategoricalParam, Conditions, Enumeration, FixedParam, NumericParam, Param, Space } from './space';
export type { Condition, Params, ParamSpec, Scalar, SearchSpace } from './space-types';
export { createSampler, samplers, samplerRng } from './samplers';
export type { SampleContext, Sampler, SamplerFactory } from './samplers';
export { createScheduler, schedulers, pbtDecisions, readPbtOptions } from './schedulers';
export type { PbtDecision, PbtMember, PbtOptions, PbtRound } from './schedulers';
export type { Scheduler, SchedulerContext, SchedulerDecision, SchedulerFactory } from './schedulers';
export { createRng, rngFromState } from './rng';
export type { Rng, RngState } from './rng';
export { AlgorithmConfigError, SpaceError, SpaceExhaustedError, StudyError } from './errors';
export { OptionReader } from './options';
export type { AlgorithmConfig, Direction, TrialState, TrialView } from './types';
