// MLflow bookkeeping activities. Each one is idempotent: runs are found by deterministic tags before
// one is created, and metrics already on a run are not logged again, so a retry changes nothing.
import { Context, log } from '@temporalio/activity';
import { Worker } from 'node:worker_threads';
import { stringify } from 'yaml';
import type { MlflowClient } from '../mlflow/client';
import { LINEAGE_TAGS } from './lineage';
import { ensureExperiment, ensureModelVersion, ensureRun, findRun, finishRun as finishMlflowRun } from '../mlflow/runs';
import { leaderboardCsv, loadCampaign, type CampaignData } from '../report';
import { threadEntry } from './suggest';
import { compareTies, compareValues } from '../search/ranking';
import { tieBreakValue } from '../trials';
import { objectiveLabel, objectiveValue } from '../spec/objective';
import type { ExperimentSpec } from '../spec/types';
import { trialConfiguration } from '../training/config';
import { JOB_TAGS, openJobRun, RUN_KEY_TAGS, runKey } from './job';
import type { CampaignResult, FinalizeInput, FinishRunInput, RetrainResult, StartRunInput, Tracking } from './types';

export interface TrackingDeps {
  mlflow: MlflowClient;
  trackingUri: string;
}

const TAG = {
  ...RUN_KEY_TAGS,
  ...JOB_TAGS,
  reason: 'tuneflow.reason',
} as const;

/** Fixed settings every trial shares, logged as params so runs are comparable in the MLflow UI. */
export function fixedParams(spec: ExperimentSpec): Record<string, string> {
  const trainable = spec.trainable;
  return {
    ...(spec.dataset.name ? { dataset: spec.dataset.name } : {}),
    'model.family': spec.model.family,
    ...(spec.model.module ? { 'model.module': `${spec.model.module.path}#${spec.model.module.export}` } : {}),
    ...(trainable ? { trainable: trainable.kind === 'command' ? trainable.command.join(' ') : `${trainable.module.path}#${trainable.module.export}` } : {}),
    ...Object.fromEntries(Object.entries(spec.model.options).map(([k, v]) => [`model.${k}`, String(v)])),
    'training.epochs': String(spec.training.epochs),
  };
}


/**
 * The top-ranked trial: its number, first objective and full configuration (`params`, what `tuneflow train
 * --params` reads back). With several objectives also its values of each, and `front`: every trial on the
 * Pareto front in ranked order, the same way (docs/objectives.md).
 */
export function bestHyperparametersYaml(spec: ExperimentSpec, result: CampaignResult): string {
  const labels = spec.objective.map(objectiveLabel);
  const named = (values: readonly number[]) => Object.fromEntries(labels.map((label, k) => [label, values[k]]));
  const best = result.best!;
  return stringify({
    trial: best.trialNumber,
    [labels[0]!]: best.value,
    ...(best.values ? { values: named(best.values) } : {}),
    params: trialConfiguration(spec, best.params),
    ...(result.front ? { front: result.front.map((t) => ({ trial: t.trialNumber, values: named(t.values), params: trialConfiguration(spec, t.params) })) } : {}),
  });
}

/**
 * Register the model of the best retrained run (by the validation objective, never by the test split)
 * as a new version of `tuneflow-<spec name>`; a retry finds the version it made before.
 */
async function registerBestModel(mlflow: MlflowClient, input: FinalizeInput): Promise<{ name: string; version: string } | null> {
  // A trainable's model is whatever it wrote to its artifacts: there is no tfjs model to register.
  if (input.spec.trainable) return null;
  const objective = input.spec.objective[0]!;
  const value = (metrics: Record<string, number>) => {
    try {
      return objectiveValue(objective, metrics);
    } catch {
      return NaN; // a run without the metric cannot be the best
    }
  };
  const candidates = input.retrainRuns.filter((r) => r.error === undefined && Number.isFinite(value(r.metrics)));
  // Ties on the objective: the campaign's tie rule (the lower val_loss first, then the earlier trial).
  const tieKey = (r: RetrainResult) => ({ number: r.trialNumber, state: 'COMPLETE' as const, tieBreak: tieBreakValue(r.metrics) });
  const best = candidates.sort((a, b) => compareValues(value(a.metrics), value(b.metrics), objective.direction) || compareTies(tieKey(a), tieKey(b)))[0];
  if (!best) return null;
  const run = await mlflow.getRun(best.runId);
  const name = `tuneflow-${input.spec.name}`;
  const { modelVersion } = await ensureModelVersion(mlflow, {
    name,
    source: `${run.info.artifactUri}/model`,
    runId: best.runId,
    tags: { 'tuneflow.campaign_id': input.campaignId, 'tuneflow.source_trial': String(best.trialNumber) },
  });
  return { name, version: String(modelVersion.version) };
}

/**
 * `report.html`, `plots/` and (several objectives) `pareto.csv` on the campaign's run (the CSVs and best_hyperparameters.yaml are written by
 * finalize itself). Best effort: a report that cannot be drawn is a warning, never a failed campaign.
 */
async function attachReport(mlflow: MlflowClient, runId: string): Promise<void> {
  try {
    const files = await buildReportOffThread(await loadCampaign(mlflow, await mlflow.getRun(runId)));
    for (const [path, content] of files) {
      // pareto.csv comes from the report too: the front as MLflow read it, with the report's ranking.
      if (path === 'report.html' || path === 'pareto.csv' || path.startsWith('plots/')) await mlflow.logArtifact(runId, path, content);
    }
  } catch (err) {
    log.warn(`the report of campaign run ${runId} could not be drawn: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** `buildReport` in a worker thread of its own (report-thread.ts), so the control worker's thread stays free meanwhile. */
function buildReportOffThread(data: CampaignData): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(threadEntry('report-thread.js'), { workerData: data, execArgv: [] }); // no test-runner loader flags
    thread.once('message', (reply: { ok: true; files: [string, string][] } | { ok: false; message: string }) => {
      if (reply.ok) resolve(new Map(reply.files));
      else reject(new Error(reply.message));
      void thread.terminate();
    });
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`the report thread exited with code ${code} before it answered`))); // no-op once settled
  });
}

export function trackingActivities(deps: TrackingDeps) {
  const { mlflow } = deps;
  return {
    async ensureCampaignRun(input: { campaignId: string; spec: ExperimentSpec; specText: string; specDir?: string }): Promise<Tracking> {
      const { spec, campaignId } = input;
      // The experiment kind switches MLflow 3's UI from its GenAI pages to the training-runs view.
      const experimentId = await ensureExperiment(mlflow, spec.tracking.experimentName, { 'mlflow.experimentKind': 'custom_model_development' });
      const { runId } = await ensureRun(mlflow, {
        experimentId,
        key: { [TAG.campaign]: campaignId, [TAG.stage]: 'campaign' },
        runName: campaignId,
        tags: {
          ...spec.tracking.tags,
          'tuneflow.spec_name': spec.name,
          'mlflow.note.content': spec.description,
          // Where the spec's relative paths (model modules, trainables) point: extend and fork resolve them there again.
          ...(input.specDir ? { [LINEAGE_TAGS.specDir]: input.specDir } : {}),
        },
        params: fixedParams(spec),
      });
      // Artifacts are overwritten by a retry, never duplicated.
      await mlflow.logArtifact(runId, 'experiment.yaml', input.specText || stringify(spec));
      return { trackingUri: deps.trackingUri, experimentId, parentRunId: runId };
    },

    startRun(input: StartRunInput): Promise<string> {
      // Temporal runs attempt 1 of this activity once per job (the workflow keeps the run id it returns): no
      // earlier run can exist then, so it creates without searching. A retry searches.
      return openJobRun(mlflow, input, Context.current().info.attempt === 1);
    },

    async setRunTags(input: { runId: string; tags: Record<string, string> }): Promise<void> {
      await mlflow.logBatch({ runId: input.runId, tags: input.tags });
    },

    async finishRun(input: FinishRunInput): Promise<void> {
      // One timestamp for every attempt of this activity: a retry repeats the exact points, which MLflow's SQL
      // store drops as duplicates, so nothing needs reading first (three requests, was up to seven).
      const at = Context.current().info.scheduledTimestampMs;
      // A first segment that failed may have created the run without the workflow learning its id: found by its key.
      const job = input.job;
      const runId = input.runId ?? (job ? (await findRun(mlflow, job.tracking.experimentId, runKey(job)))?.info.runId : undefined);
      if (runId) {
        const tags = { [TAG.state]: input.state, ...(input.reason ? { [TAG.reason]: input.reason.slice(0, 5000) } : {}) };
        const summary = Object.entries(input.summary ?? {}).map(([key, value]) => ({ key, value, timestamp: at, step: 0 }));
        await mlflow.logBatch({ runId, tags, metrics: summary });
        await finishMlflowRun(mlflow, runId, input.killed ? 'KILLED' : input.state === 'FAIL' ? 'FAILED' : 'FINISHED');
      }
      // Convergence, live in MLflow's charts: one point per finished trial (step: trials finished so far).
      const campaign = input.campaign;
      if (campaign && campaign.bestValue !== null && Number.isFinite(campaign.bestValue)) {
        await mlflow.logBatch({ runId: campaign.parentRunId, metrics: [{ key: 'best_value', value: campaign.bestValue, timestamp: at, step: campaign.finished }] });
      }
    },

    async refreshReport(input: { tracking: Tracking }): Promise<void> {
      await attachReport(mlflow, input.tracking.parentRunId);
    },

    async finalizeCampaign(input: FinalizeInput): Promise<void> {
      const { tracking, spec, result } = input;
      const runId = tracking.parentRunId;
      const objective = spec.objective[0]!;
      if (result.best) await mlflow.logArtifact(runId, 'best_hyperparameters.yaml', bestHyperparametersYaml(spec, result));
      await mlflow.logArtifact(runId, 'leaderboard.csv', leaderboardCsv(input.leaderboard, spec.objective.map(objectiveLabel)));
      await mlflow.logArtifact(runId, 'result.json', JSON.stringify(result, null, 2) + '\n');
      const summary: Record<string, number> = {
        trials_completed: result.trials.completed,
        trials_pruned: result.trials.pruned,
        trials_failed: result.trials.failed,
        train_seconds: result.timing.trainSeconds,
      };
      if (result.best) summary[`best_${objectiveLabel(objective)}`] = result.best.value;
      // One request, the same points on every attempt (see finishRun).
      const at = Context.current().info.scheduledTimestampMs;
      const tags: Record<string, string> = { 'tuneflow.status': result.status };
      if (result.reason) tags[TAG.reason] = result.reason;
      if (result.best) tags['tuneflow.best_trial'] = String(result.best.trialNumber);
      await mlflow.logBatch({ runId, tags, metrics: Object.entries(summary).map(([key, value]) => ({ key, value, timestamp: at, step: 0 })) });
      const model = await registerBestModel(mlflow, input);
      if (model) await mlflow.setTag(runId, 'tuneflow.registered_model', `${model.name}/${model.version}`);
      await attachReport(mlflow, runId);
      await finishMlflowRun(mlflow, runId, result.status === 'FAILED' ? 'FAILED' : 'FINISHED');
    },
  };
}
