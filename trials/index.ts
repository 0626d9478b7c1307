// The trial model both sides speak: the campaign workflow holds these records, the activities read and
// write them, the CLI and client show them. It imports only search/ and spec/ (pure code), never
// workflows or activities.
export { newTrial, toView, countStates, type TrialRecord, type TrialState, type Direction } from './record';
export { isPacked, packTrials, unpackTrials, encodeFloat64, decodeFloat64, type PackedTrials } from './pack';
export { rankCompleted, leaderboard, type LeaderboardRow } from './ranking';
export { objectiveValues, constraintValues, epochValues, outcomeMetrics, tieBreakValue, trialOutcome, trialValues, valueEpoch } from './metrics';
