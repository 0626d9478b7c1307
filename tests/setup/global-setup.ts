// Starts the real services every integration test talks to: a Temporal dev server (in memory) and an
// MLflow server (SQLite in a temp folder), on free ports, once per test run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { startMlflowServer } from '../../cli/services/mlflow-server';
import { startTemporalServer, registerCampaignSearchAttributes } from '../../cli/services/temporal-server';
import { graphAddonPath } from '../../training/graph/native';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    mlflowTrackingUri: string;
    servicesDir: string;
  }
}

export default async function setup(project: TestProject) {
  // Tests point TUNEFLOW_CACHE_DIR at temp folders, whose tools.json does not exist: name the graph
  // engine's addon (built by set-up) directly, so training in tests runs on it as it would for users.
  const addon = graphAddonPath(process.env);
  if ('path' in addon) process.env.TUNEFLOW_GRAPH_ENGINE_ADDON ??= addon.path;
  const dir = mkdtempSync(join(tmpdir(), 'tuneflow-test-'));
  const [temporal, mlflow] = await Promise.all([
    startTemporalServer({ logFile: join(dir, 'temporal.log'), uiPort: null }),
    startMlflowServer({ dir: join(dir, 'mlflow'), logFile: join(dir, 'mlflow.log') }),
  ]);
  await registerCampaignSearchAttributes(temporal.address);
  project.provide('temporalAddress', temporal.address);
  project.provide('mlflowTrackingUri', mlflow.url);
  project.provide('servicesDir', dir);
  return async () => {
    await Promise.all([temporal.stop(), mlflow.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
}
