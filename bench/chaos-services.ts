// Processes the chaos bench starts, kills and restarts: a Temporal dev server on a SQLite file and an
// MLflow server (each in its own process group, on a fixed port so clients reconnect after a restart),
// and a pool of `tuneflow worker` processes that a supervisor keeps alive.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { startMlflowServer, type MlflowServer } from '../cli/services/mlflow-server';
import { freePort, isAlive } from '../cli/services/process';
import { startTemporalServer, registerCampaignSearchAttributes, type TemporalServer } from '../cli/services/temporal-server';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** mulberry32: a small seeded generator, so a chaos schedule can be replayed with `--seed`. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** SIGKILL a whole process group and wait until its leader is gone. */
async function killGroup(pid: number): Promise<void> {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  while (isAlive(pid)) await sleep(50);
}

/** Retries a start that can fail while the killed server's port is still being released. */
async function startWithRetries<T>(what: string, start: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await start();
    } catch (err) {
      if (i >= attempts) throw err;
      process.stderr.write(`chaos: ${what} did not start (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); retrying\n`);
      await sleep(2000);
    }
  }
}

export class ChaosServices {
  temporal: TemporalServer | null = null;
  mlflow: MlflowServer | null = null;

  private constructor(
    private readonly dir: string,
    readonly temporalPort: number,
    readonly mlflowPort: number,
  ) {}

  /** Ports picked, nothing started yet: hold it before `startAll`, so a Ctrl-C meanwhile can still kill what started. */
  static async create(dir: string): Promise<ChaosServices> {
    return new ChaosServices(dir, await freePort(), await freePort());
  }

  async startAll(): Promise<void> {
    await this.startTemporal();
    await registerCampaignSearchAttributes(this.temporalAddress);
    await this.startMlflow();
  }

  get temporalAddress(): string {
    return `127.0.0.1:${this.temporalPort}`;
  }

  get mlflowUrl(): string {
    return `http://127.0.0.1:${this.mlflowPort}`;
  }

  async startTemporal(): Promise<void> {
    this.temporal = await startWithRetries('Temporal', () =>
      startTemporalServer({
        dbFile: join(this.dir, 'temporal.db'),
        port: this.temporalPort,
        uiPort: null,
        logFile: join(this.dir, 'logs', 'temporal.log'),
        detached: true,
      }),
    );
  }

  async startMlflow(): Promise<void> {
    this.mlflow = await startWithRetries('MLflow', () =>
      startMlflowServer({ dir: join(this.dir, 'mlflow'), port: this.mlflowPort, logFile: join(this.dir, 'logs', 'mlflow.log'), detached: true }),
    );
  }

  /** The honest crash: SIGKILL to the server's process group, no chance to flush or say goodbye. */
  async killTemporal(): Promise<void> {
    if (this.temporal) await killGroup(this.temporal.pid);
    this.temporal = null;
  }

  async killMlflow(): Promise<void> {
    if (this.mlflow) await killGroup(this.mlflow.pid);
    this.mlflow = null;
  }

  /** Synchronous, so it also works from an `exit` handler. */
  killAllNow(): void {
    for (const pid of [this.temporal?.pid, this.mlflow?.pid]) {
      if (pid === undefined) continue;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    this.temporal = null;
    this.mlflow = null;
  }
}

const START_MARKER = '--- chaos: worker ';
/** What `tuneflow worker` prints once it polls (cli/main.ts). */
const READY_LINE = 'worker polling ';

interface WorkerSlot {
  index: number;
  proc: ChildProcess | null;
  /** Set just before we kill it, so the supervisor tells our kills from crashes. */
  killedByUs: boolean;
  startedAt: number;
}

export interface WorkerPoolOptions {
  count: number;
  root: string;
  logDir: string;
  env: NodeJS.ProcessEnv;
  trainingQueue: string;
  random: () => number;
  /** Restart delay range after a worker exits, in ms. */
  restartDelayMs: [number, number];
}

/** N `tuneflow worker` processes; one that exits (killed or crashed) is restarted after a random delay. */
export class WorkerPool {
  readonly slots: WorkerSlot[];
  kills = 0;
  /** Exits we did not cause (e.g. a worker giving up while Temporal was down). */
  crashes = 0;
  private stopping = false;

  constructor(private readonly opts: WorkerPoolOptions) {
    mkdirSync(opts.logDir, { recursive: true });
    this.slots = Array.from({ length: opts.count }, (_, index) => ({ index, proc: null, killedByUs: false, startedAt: 0 }));
    for (const slot of this.slots) this.spawn(slot);
  }

  logFile(index: number): string {
    return join(this.opts.logDir, `worker-${index}.log`);
  }

  private spawn(slot: WorkerSlot): void {
    if (this.stopping) return;
    const fd = openSync(this.logFile(slot.index), 'a');
    writeSync(fd, `${START_MARKER}${slot.index} starting at ${new Date().toISOString()}\n`);
    const proc = spawn(process.execPath, [join(this.opts.root, 'dist', 'cli', 'main.js'), 'worker', '--training-queue', this.opts.trainingQueue], {
      cwd: this.opts.root,
      env: this.opts.env,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    closeSync(fd);
    slot.proc = proc;
    slot.killedByUs = false;
    slot.startedAt = Date.now();
    proc.once('exit', () => {
      if (slot.proc !== proc) return;
      slot.proc = null;
      if (this.stopping) return;
      if (!slot.killedByUs) this.crashes++;
      const [lo, hi] = this.opts.restartDelayMs;
      setTimeout(() => this.spawn(slot), lo + this.opts.random() * (hi - lo));
    });
  }

  /** Running and not yet killed by us (a SIGKILLed process reports its exit only later). */
  alive(): WorkerSlot[] {
    return this.slots.filter((s) => s.proc !== null && s.proc.exitCode === null && !s.killedByUs);
  }

  /** Live workers that have connected and poll their queues (killing one still starting up tests nothing). */
  serving(): WorkerSlot[] {
    return this.alive().filter((slot) => {
      const log = readFileSync(this.logFile(slot.index), 'utf8');
      return log.slice(log.lastIndexOf(START_MARKER)).includes(READY_LINE);
    });
  }

  /** `kill -9` one serving worker (chosen at random); false when none is serving. */
  killOne(): boolean {
    const alive = this.serving();
    if (alive.length === 0) return false;
    const slot = alive[Math.floor(this.opts.random() * alive.length)]!;
    slot.killedByUs = true;
    try {
      slot.proc!.kill('SIGKILL');
    } catch {
      return false;
    }
    this.kills++;
    return true;
  }

  /** Stop supervising and kill every worker (synchronous: safe in an `exit` handler). */
  stopAllNow(): void {
    this.stopping = true;
    for (const slot of this.slots) {
      try {
        slot.proc?.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  async stopAll(): Promise<void> {
    const procs = this.slots.map((s) => s.proc).filter((p): p is ChildProcess => p !== null);
    this.stopAllNow();
    await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
  }
}
