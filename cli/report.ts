// `tuneflow report <campaign-id> [--out DIR]`: a campaign's report read from MLflow (running or
// finished, old or new: MLflow keeps the runs after Temporal forgets the workflow), written as
// report.html, plots/*.svg, leaderboard.csv, trials.csv, results.yaml and best_hyperparameters.yaml.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findCampaignRun, LineageError } from '../activities/lineage';
import { MlflowClient } from '../mlflow/client';
import { buildReport, loadCampaign, writeReport } from '../report';

export class ReportUsageError extends Error {}

/** Where a report goes when --out is not given: ./tuneflow-report-<id>. */
export function defaultReportDir(campaignId: string): string {
  return `tuneflow-report-${campaignId.replace(/[^\w.-]/g, '_')}`;
}

export async function reportCommand(args: string[], mlflowUri: () => string, err: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' } } });
  const campaignId = positionals[0];
  if (!campaignId || positionals.length > 1) throw new ReportUsageError('report: give one campaign id, e.g. `tuneflow report tiny-1a2b3c --out report`');
  const out = resolve(values.out ?? defaultReportDir(campaignId));
  const mlflow = new MlflowClient({ trackingUri: mlflowUri() });
  const started = Date.now();
  let parent;
  try {
    parent = await findCampaignRun(mlflow, campaignId);
  } catch (e) {
    if (e instanceof LineageError) {
      err(`tuneflow: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const data = await loadCampaign(mlflow, parent);
  const files = await buildReport(data);
  await writeReport(out, files);
  const plots = [...files.keys()].filter((k) => k.startsWith('plots/')).length;
  err(`report of ${campaignId} (${data.trials.length} trials, ${plots} plots) in ${((Date.now() - started) / 1000).toFixed(1)} s: ${out}/report.html`);
  return 0;
}
