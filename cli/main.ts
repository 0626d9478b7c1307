#!/usr/bin/env node
// The `tuneflow` command. Each verb is a thin layer over the client API, the worker wiring and the
// local services; errors the user can fix print as one clear message, never a stack trace.
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KNOWN_NAMES } from '../catalog';
import { formatSpecError, readSpecText, SpecError, validateSpecCommand } from '../spec';
import { objectiveLabel } from '../spec/objective';
import { connectTemporal, ControlRejectedError, startCampaignFromText } from './client';
import { CONTROL_VERBS, controlCommand, ControlUsageError, type ControlVerb } from './control';
import { LineageUsageError } from './lineage';
import { reportCommand, ReportUsageError } from './report';
import { checkpointRoot, checkpointStoreKind, DEFAULT_TRAINING_TASK_QUEUE, setConsoleVerbosity, stateDir } from './config';
import { redactUserInfo } from '../mlflow/client';
import { formatProgress } from './progress';
import { ensureLocalServices, LocalServicesError, mlflowDbChoice, readState, stopLocalServices, type MlflowDb } from './services/local';
import { doctorCommand } from './doctor';
import { applySpecOverrides, OverrideError, parseOverride, trainCommand } from './train';
import { startWorkers } from './worker';
import { serveCommand, ServeUsageError } from '../serve/command';

const USAGE = `Usage: tuneflow <command> [options]

Commands:
  run <spec.yaml> [--set key=value ...] [--json] [--no-worker] [--workflow-id ID] [--db sqlite|postgres] [--verbose]
                          start a campaign and follow it to the end (--set: as for train; --db: the
                          local MLflow server's store, default TUNEFLOW_MLFLOW_DB or sqlite)
  worker [--no-control] [--training-queue Q ...] [--slots N] [--trainables-root DIR ...] [--verbose]
                          run a worker (control and/or training task queues); it runs user code
                          (model modules, trainables) only from under the --trainables-root folders
                          (default: its working folder)
  doctor [--json]         backend, TensorFlow version, devices and the task queue to serve
  validate <spec.yaml>    check a spec and print its problems with line and column
  train <spec.yaml> [--set key=value ...] [--params FILE] [--epochs N] [--checkpoint-dir DIR] [--json] [--verbose]
  train --from <id> [spec.yaml] [...]
                          train one configuration (no Temporal, no search) and test it: a campaign's best
                          (--from, or --params best_hyperparameters.yaml); an MLflow run when MLFLOW_TRACKING_URI is set
  status|watch|leaderboard <id> [--json]
                          a campaign's progress (once, live until it ends) or its leaderboard
  pause|resume|stop|cancel <id>
                          steer a running campaign (stop: retrain what it has; cancel: no retrain)
  extend <id> [--trials N] [--time 2h]
                          more budget; a finished campaign continues as a new one (warm start)
  fork <id> --spec new.yaml | --set key.path=value ...
                          a new campaign from a finished one, warm-started from its fitting trials
  set-concurrency <id> N
  enqueue <id> '{"param": value}' | --file configs.yaml
  list [--all]            campaigns by name, phase and best value
  report <id> [--out DIR] a campaign's report from MLflow: report.html (plots inline), plots/*.svg,
                          leaderboard.csv, trials.csv, results.yaml, best_hyperparameters.yaml
  serve [--host 127.0.0.1] [--port 8080] [--no-worker] [--data-root DIR] [--allow-code] [--training-queue Q ...]
                          the REST API (/api/v1) and the dashboard (/); a token is required off loopback
                          (TUNEFLOW_SERVE_TOKEN, or one generated and printed once)
  down                    stop the local Temporal, MLflow and PostgreSQL servers started by \`run\`

--verbose (or TUNEFLOW_VERBOSE=1) shows TensorFlow's and the Temporal SDK's own logging.

Services: TEMPORAL_ADDRESS and MLFLOW_TRACKING_URI point at existing servers; without them
\`run\` starts local ones under .tuneflow/ and leaves them running for their UIs; MLflow's store there
is a SQLite file, or with --db postgres a local PostgreSQL with several MLflow workers (docs/postgres.md).`;

class UsageError extends Error {}

const err = (line: string) => process.stderr.write(`${line}\n`);

interface Endpoints {
  temporalAddress: string;
  mlflowUri: string;
  temporalUi: string | null;
}

/** Environment first; otherwise the local services, started when `start` is set (MLflow on `db`). */
async function endpoints(start: boolean, db?: MlflowDb): Promise<Endpoints> {
  const envTemporal = process.env.TEMPORAL_ADDRESS;
  const envMlflow = process.env.MLFLOW_TRACKING_URI;
  const dir = stateDir();
  const local =
    envTemporal && envMlflow
      ? {}
      : start
        ? await ensureLocalServices(dir, { temporal: !envTemporal, mlflow: !envMlflow, db: db ?? mlflowDbChoice(undefined) }, err)
        : readState(dir);
  const temporalAddress = envTemporal ?? local.temporal?.address;
  const mlflowUri = envMlflow ?? local.mlflow?.url;
  if (!temporalAddress || !mlflowUri) {
    throw new UsageError('no services: set TEMPORAL_ADDRESS and MLFLOW_TRACKING_URI, or start local ones with `tuneflow run`');
  }
  return { temporalAddress, mlflowUri, temporalUi: envTemporal ? null : (local.temporal?.uiUrl ?? null) };
}

/** MLflow alone (the report reads nothing from Temporal): the environment, else the local server `run` started. */
function mlflowUri(): string {
  const uri = process.env.MLFLOW_TRACKING_URI ?? readState(stateDir()).mlflow?.url;
  if (!uri) throw new UsageError('no MLflow: set MLFLOW_TRACKING_URI, or start the local one with `tuneflow run`');
  return uri;
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      'no-worker': { type: 'boolean' },
      'workflow-id': { type: 'string' },
      set: { type: 'string', multiple: true },
      db: { type: 'string' },
      verbose: { type: 'boolean' },
    },
  });
  const specPath = positionals[0];
  if (!specPath) throw new UsageError('run: give a spec file, e.g. `tuneflow run experiments/quickstart.yaml`');
  const db = mlflowDbChoice(values.db);
  if (values.db !== undefined && process.env.MLFLOW_TRACKING_URI) {
    throw new UsageError('run: --db chooses the store of the local MLflow server, but MLFLOW_TRACKING_URI points at another server; unset one of them');
  }
  setConsoleVerbosity(values.verbose);
  const started = Date.now();
  // The spec and its --set overrides (the rules of `tuneflow train --set`) are checked before any service starts.
  const specText = applySpecOverrides(await readSpecText(specPath), specPath, (values.set ?? []).map(parseOverride)).text;
  const ep = await endpoints(true, db);
  const client = await connectTemporal(ep.temporalAddress);
  const specDir = resolve(dirname(specPath));
  const handle = await startCampaignFromText(client, {
    specText,
    specName: values.set?.length ? `${specPath} with --set` : specPath,
    specDir,
    ...(values['workflow-id'] ? { workflowId: values['workflow-id'] } : {}),
  });
  const { spec } = handle;
  const workers = values['no-worker']
    ? null
    : await startWorkers({
        temporalAddress: ep.temporalAddress,
        mlflowTrackingUri: ep.mlflowUri,
        checkpointRoot: checkpointRoot(),
        checkpointStore: checkpointStoreKind(),
        control: true,
        trainingQueues: [spec.resources.taskQueue, ...(spec.resources.fallbackTaskQueue ? [spec.resources.fallbackTaskQueue] : [])],
        // The spec you run yourself may use code beside it.
        trainablesRoots: [process.cwd(), specDir],
      });
  err(`campaign ${handle.workflowId} started (${spec.budget.maxTrials} trials, ${spec.search.sampler.type} sampler, ${spec.search.scheduler.type} scheduler)`);
  if (ep.temporalUi) err(`  Temporal UI: ${ep.temporalUi}/namespaces/default/workflows/${handle.workflowId}`);
  const tty = process.stderr.isTTY;
  let lastLine = '';
  const poll = setInterval(async () => {
    const line = await handle.status().then((p) => formatProgress(p), () => null);
    if (line && line !== lastLine) {
      process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
      lastLine = line;
    }
  }, 1000);
  try {
    const result = await handle.result();
    clearInterval(poll);
    if (tty) process.stderr.write('\n');
    const wallSeconds = (Date.now() - started) / 1000;
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ...result, timing: { ...result.timing, wallSeconds } })}\n`);
    } else {
      const b = result.best;
      err(`campaign ${result.status}${result.reason ? `: ${result.reason}` : ''} in ${wallSeconds.toFixed(1)} s (training ${result.timing.trainSeconds.toFixed(1)} s)`);
      err(`  trials: ${result.trials.completed} complete, ${result.trials.pruned} pruned, ${result.trials.failed} failed`);
      if (b) err(`  best: trial ${b.trialNumber} ${objectiveLabel(spec.objective[0]!)}=${b.value.toPrecision(4)} ${JSON.stringify(b.params)}`);
      if (result.tiedWithBest) err(`  (tied with ${result.tiedWithBest} other trial(s) at that value: the lower val_loss ranked it first; docs/objectives.md)`);
      if (result.separation) err(`  note: ${result.separation} (docs/objectives.md)`);
      for (const t of result.front ?? []) {
        err(`  Pareto front: trial ${t.trialNumber} ${spec.objective.map((o, k) => `${objectiveLabel(o)}=${t.values[k]!.toPrecision(4)}`).join(' ')} ${JSON.stringify(t.params)}`);
      }
      for (const r of result.retrain) {
        const m = Object.entries(r.metrics).filter(([k]) => k.startsWith('test_')).map(([k, v]) => `${k}=${v.toPrecision(4)}`);
        err(`  retrained trial ${r.trialNumber}: ${m.join(' ')}`);
      }
    }
    // The experiment's training-runs list (the campaign's experiment kind makes MLflow 3 show it), then the campaign's own run.
    const experimentUrl = `${redactUserInfo(ep.mlflowUri)}/#/experiments/${result.mlflow.experimentId}/runs`;
    err(`  MLflow UI: ${experimentUrl} (campaign run: ${experimentUrl}/${result.mlflow.parentRunId})`);
    if (ep.temporalUi) err(`  Temporal UI: ${ep.temporalUi}/namespaces/default/workflows/${handle.workflowId}`);
    if (!process.env.TEMPORAL_ADDRESS || !process.env.MLFLOW_TRACKING_URI) err('  local services keep running; stop them with `tuneflow down`');
    return result.status === 'FAILED' ? 1 : 0;
  } finally {
    clearInterval(poll);
    await workers?.shutdown();
    await client.connection.close();
  }
}

async function worker(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'no-control': { type: 'boolean' },
      'training-queue': { type: 'string', multiple: true },
      slots: { type: 'string' },
      'trainables-root': { type: 'string', multiple: true },
      verbose: { type: 'boolean' },
    },
  });
  setConsoleVerbosity(values.verbose);
  const ep = await endpoints(false);
  const trainingQueues = values['training-queue'] ?? [DEFAULT_TRAINING_TASK_QUEUE];
  const trainablesRoots = (values['trainables-root'] ?? [process.cwd()]).map((dir) => resolve(dir));
  const workers = await startWorkers({
    temporalAddress: ep.temporalAddress,
    mlflowTrackingUri: ep.mlflowUri,
    checkpointRoot: checkpointRoot(),
    checkpointStore: checkpointStoreKind(),
    control: !values['no-control'],
    trainingQueues,
    trainingSlots: values.slots ? Number(values.slots) : 1,
    trainablesRoots,
    logLevel: 'INFO',
  });
  err(`worker polling ${values['no-control'] ? '' : 'tuneflow (control), '}${trainingQueues.join(', ')} at ${ep.temporalAddress}`);
  err(`  runs user code from ${trainablesRoots.join(', ')}`);
  if (trainingQueues.length > 0) err(`  checkpoints: ${checkpointStoreKind()} store, job folders under ${checkpointRoot()}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void workers.shutdown());
  await workers.done;
  return 0;
}

async function control(verb: ControlVerb, args: string[]): Promise<number> {
  const ep = await endpoints(false);
  const client = await connectTemporal(ep.temporalAddress);
  try {
    return await controlCommand(client, verb, args, { mlflowUri: ep.mlflowUri });
  } finally {
    await client.connection.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return run(rest);
    case 'worker':
      return worker(rest);
    case 'doctor':
      return doctorCommand(rest, mlflowUri);
    case 'train':
      return trainCommand(rest);
    case 'report':
      return reportCommand(rest, mlflowUri, err);
    case 'serve':
      return serveCommand(rest, () => endpoints(true), err);
    case 'validate': {
      if (!rest[0]) throw new UsageError('validate: give a spec file');
      const { ok, output } = await validateSpecCommand(rest[0], { knownNames: KNOWN_NAMES });
      (ok ? process.stdout : process.stderr).write(`${output}\n`);
      return ok ? 0 : 2;
    }
    case 'down': {
      const stopped = await stopLocalServices(stateDir());
      err(stopped.length ? `stopped ${stopped.join(', ')}` : 'no local services were running');
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      if ((CONTROL_VERBS as readonly string[]).includes(command)) return control(command as ControlVerb, rest);
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof SpecError) err(formatSpecError(e));
    else if (e instanceof ControlRejectedError) err(`tuneflow: ${e.message}`);
    else if (e instanceof UsageError || e instanceof OverrideError || e instanceof ControlUsageError || e instanceof LineageUsageError || e instanceof ReportUsageError || e instanceof ServeUsageError || e instanceof LocalServicesError || (e instanceof Error && e.name === 'LineageError') || (e instanceof Error && e.name === 'TypeError' && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))) err(`tuneflow: ${e.message}`);
    else err(`tuneflow: ${e instanceof Error ? (process.env.TUNEFLOW_DEBUG ? (e.stack ?? e.message) : e.message) : String(e)}`);
    process.exit(e instanceof SpecError || e instanceof UsageError || e instanceof OverrideError || e instanceof ControlUsageError || e instanceof ControlRejectedError || e instanceof ReportUsageError || e instanceof ServeUsageError || e instanceof LocalServicesError ? 2 : 1);
  },
);
