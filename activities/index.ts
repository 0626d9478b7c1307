// Every activity the campaign workflow calls, built around their dependencies (MLflow client,
// checkpoint store). The worker registers the control set and the training set on their own queues.
import type { MlflowClient } from '../mlflow/client';
import { heartbeating } from './heartbeat';
import { loadSpec } from './spec';
import { suggestTrials } from './suggest';
import { temporalActivities, type TemporalDeps } from './temporal';
import { trackingActivities } from './tracking';
import { trainingActivities } from './training';
import { loadWarmStart as loadLineageWarmStart } from './lineage';
import { logPbtLineage } from './pbt';
import type { CampaignActivities, PbtLineageInput, WarmStartInput } from './types';

export interface ActivityDeps extends TemporalDeps {
  mlflow: MlflowClient;
  trackingUri: string;
  checkpointRoot: string;
}

export type ControlActivities = Omit<CampaignActivities, TrainingActivityName>;
export type TrainingActivities = Pick<CampaignActivities, TrainingActivityName>;
/** The activities that run where the checkpoints and the accelerators are: the training task queue. */
type TrainingActivityName = 'trainSegment' | 'evaluateRun' | 'deleteCheckpoints' | 'exploitCheckpoint';

export function controlActivities(deps: ActivityDeps): ControlActivities {
  // suggestTrials heartbeats by itself while its worker thread computes (suggest.ts); the rest beat while they wait.
  const loadWarmStart = (input: WarmStartInput) => loadLineageWarmStart(deps.mlflow, input);
  const pbtLineage = (input: PbtLineageInput) => logPbtLineage(deps.mlflow, input);
  return { suggestTrials, ...heartbeating({ loadSpec, loadWarmStart, logPbtLineage: pbtLineage, ...trackingActivities(deps), ...temporalActivities(deps) }) };
}

export { trainingActivities };
