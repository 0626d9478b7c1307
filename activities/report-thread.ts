// The worker thread of a report redraw (tracking.ts `buildReportOffThread`): draws the report of the
// campaign data it was started with and posts the files back. Vega's rendering is synchronous CPU work
// of seconds for a large campaign; on the control worker's own thread it held up the workflow tasks and
// every bookkeeping activity meanwhile. Only pure report code runs here.
import { parentPort, workerData } from 'node:worker_threads';
import { buildReport, type CampaignData } from '../report';

buildReport(workerData as CampaignData).then(
  (files) => parentPort!.postMessage({ ok: true, files: [...files] }),
  (err: unknown) => parentPort!.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) }),
);
