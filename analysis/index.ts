// Pure analysis of finished trials (issue 14, "See what a campaign found"): no I/O, no Temporal, no
// TensorFlow; imports only search/. See docs/analysis.md.
export { bestSoFar, type BestSoFarPoint } from './best-so-far';
export { edf, type EdfPoint } from './edf';
export { importance, type ImportanceOptions, type ParamImportance } from './importance';
export { hypervolumeHistory, hypervolumeOfLosses, paretoFrontOf, type HypervolumeHistory, type HypervolumePoint } from './pareto';
export { rungStatistics, type RungStatistics } from './rungs';
