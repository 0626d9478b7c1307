// `npm run bench:samplers [-- options]`: our samplers and Optuna 5.0.0's side by side on the problems of
// ../shared/bench-problems.md (bench/problems.ts), same budgets and seeds, sequential ask/tell.
//
//   --quick            branin and synthetic_hpo, 3 seeds, random + tpe (Optuna's too when its venv exists)
//   --ours-only        no Python at all
//   --problems a,b     --samplers x,y (random, sobol, tpe, tpe-independent, gp, cmaes)   --seeds N   --json FILE
//   --gp-seeds N       seeds for gp on both sides (default 5; Optuna's GPSampler is slow on a busy machine)
//   --from FILE        print the tables again from the raw results a --json run saved (runs nothing); the
//                      file is rewritten after every row, so a run stopped early still has its finished rows
//
// Our samplers are looked up in the registry at run time (gp and cmaes appear when registered). Optuna's
// run in bench/optuna_samplers.py, one process per (sampler, problem), one after the other so timings do
// not compete. Seeds 0..9 (GP: 0..4). "ms/suggest" is the mean time of the sampling step (our study.ask();
// Optuna's study.ask() plus the trial's suggest_* calls) over the last 10 trials of the budget, i.e. trials
// 90-99 (branin: 40-49), as wall time and as CPU time of the process (every thread: torch's too). The
// speed targets use CPU time, which a busy machine (other jobs on the same cores) inflates far less.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { samplers } from '../search/samplers';
import { createStudy } from '../search/study';
import { OPTUNA_VERSION, ensureOptuna, runPython } from './optuna-env';
import { PROBLEMS, type Problem } from './problems';
import { fmt, iqr, machine, mannWhitneyP, median, table } from './table';

const CHECKPOINTS = [10, 25, 50, 100];
const SCRIPT = join(__dirname, '..', '..', 'bench', 'optuna_samplers.py');

interface SamplerSpec {
  key: string;
  type: string;
  options?: Record<string, unknown>;
}

const SAMPLERS: SamplerSpec[] = [
  { key: 'random', type: 'random' },
  { key: 'sobol', type: 'sobol' },
  { key: 'tpe', type: 'tpe' },
  { key: 'tpe-independent', type: 'tpe', options: { multivariate: false } },
  { key: 'gp', type: 'gp' },
  { key: 'cmaes', type: 'cmaes' },
];

const OPTUNA_LABELS: Record<string, string> = {
  random: 'RandomSampler',
  sobol: "QMCSampler(sobol, scramble)",
  tpe: 'TPESampler(multivariate) [default]',
  'tpe-independent': 'TPESampler(multivariate=False)',
  gp: 'GPSampler',
  cmaes: 'CmaEsSampler',
};

/** Optuna 5.0.0's medians at the budget from bench-problems.md, used only when Optuna's GP cannot run here. */
const REFERENCE_GP: Record<string, number> = { branin: 0.3979, hartmann6: -3.322, rosenbrock4: 13.61, ackley5: 5.827, synthetic_hpo: 8.0e-6 };
const referenceGpRow = (problem: string): Row => ({ library: 'reference', key: 'gp', label: 'GPSampler (reference, not measured)', problem, runs: [], referenceMedian: REFERENCE_GP[problem] });

interface Run {
  values: number[];
  askMs: number[];
  /** CPU time of the same step (all threads of the process): on a busy machine wall time mostly measures the neighbours. */
  cpuMs?: number[];
}

interface Row {
  library: 'ours' | 'optuna' | 'reference';
  key: string;
  label: string;
  problem: string;
  runs: Run[];
  note?: string;
  /** Reference rows carry only the median at the budget. */
  referenceMedian?: number;
}

interface Args {
  quick: boolean;
  oursOnly: boolean;
  problems: string[];
  samplers: string[];
  seeds: number | null;
  json: string | null;
  from: string | null;
  gpSeeds: number;
}

function parseArgs(argv: string[]): Args {
  const value = (flag: string): string | null => {
    const at = argv.indexOf(flag);
    if (at < 0) return null;
    const v = argv[at + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    return v;
  };
  const known = new Set(['--quick', '--ours-only', '--problems', '--samplers', '--seeds', '--json', '--from', '--gp-seeds']);
  for (const a of argv) if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown option ${a} (known: ${[...known].join(', ')})`);
  const quick = argv.includes('--quick');
  const list = (flag: string, fallback: string[], allowed: string[]) => {
    const v = value(flag);
    const items = v === null ? fallback : v.split(',').map((s) => s.trim()).filter(Boolean);
    for (const item of items) if (!allowed.includes(item)) throw new Error(`${flag}: unknown "${item}" (known: ${allowed.join(', ')})`);
    return items;
  };
  const problemNames = PROBLEMS.map((p) => p.name);
  const seedsText = value('--seeds');
  const seeds = seedsText === null ? (quick ? 3 : null) : Number(seedsText);
  if (seeds !== null && !(Number.isInteger(seeds) && seeds > 0)) throw new Error(`--seeds must be a positive integer (got ${seedsText})`);
  const gpSeeds = Number(value('--gp-seeds') ?? 5);
  if (!(Number.isInteger(gpSeeds) && gpSeeds > 0)) throw new Error(`--gp-seeds must be a positive integer (got ${value('--gp-seeds')})`);
  return {
    quick,
    oursOnly: argv.includes('--ours-only'),
    problems: list('--problems', quick ? ['branin', 'synthetic_hpo'] : problemNames, problemNames),
    samplers: list('--samplers', quick ? ['random', 'tpe'] : SAMPLERS.map((s) => s.key), SAMPLERS.map((s) => s.key)),
    seeds,
    json: value('--json'),
    from: value('--from'),
    gpSeeds,
  };
}

const seedsFor = (spec: SamplerSpec, args: Args) => {
  const n = Math.min(args.seeds ?? 10, spec.key === 'gp' ? args.gpSeeds : Infinity);
  return Array.from({ length: n }, (_, i) => i);
};

function runOurs(problem: Problem, spec: SamplerSpec, seeds: number[]): Run[] {
  return seeds.map((seed) => {
    const study = createStudy({
      space: problem.space,
      direction: 'minimize',
      sampler: { type: spec.type, seed, ...(spec.options ? { options: spec.options } : {}) },
      scheduler: { type: 'none' },
    });
    const values: number[] = [];
    const askMs: number[] = [];
    const cpuMs: number[] = [];
    for (let i = 0; i < problem.budget; i++) {
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      const { number, params } = study.ask();
      const cpu = process.cpuUsage(cpuStarted);
      askMs.push(performance.now() - started);
      cpuMs.push((cpu.user + cpu.system) / 1000);
      const value = problem.evaluate(params);
      study.tell(number, value);
      values.push(value);
    }
    return { values, askMs, cpuMs };
  });
}

/** The Python side must compute the same functions: compare at a few fixed points of each space. */
async function checkFunctions(python: string, problems: Problem[]): Promise<void> {
  const points: Record<string, Record<string, number | string | boolean>[]> = {};
  for (const problem of problems) {
    const study = createStudy({ space: problem.space, sampler: { type: 'random', seed: 12345 } });
    points[problem.name] = Array.from({ length: 4 }, () => study.ask().params);
  }
  const theirs = await runPython<Record<string, number[]>>(python, SCRIPT, { mode: 'check', points });
  for (const problem of problems) {
    points[problem.name]!.forEach((p, i) => {
      const ours = problem.evaluate(p);
      const other = theirs[problem.name]?.[i];
      if (other === undefined || Math.abs(ours - other) > 1e-9 * Math.max(1, Math.abs(ours))) {
        throw new Error(`the Python and TypeScript ${problem.name} disagree at ${JSON.stringify(p)}: ${ours} vs ${other}; fix bench/optuna_samplers.py`);
      }
    });
  }
}

function bestSoFar(values: readonly number[], n: number): number {
  let best = Infinity;
  for (let i = 0; i < Math.min(n, values.length); i++) best = Math.min(best, values[i]!);
  return best;
}

const atBudget = (row: Row, budget: number) => (row.referenceMedian !== undefined ? row.referenceMedian : median(row.runs.map((r) => bestSoFar(r.values, budget))));
const msPerSuggest = (row: Row, clock: 'wall' | 'cpu' = 'wall') => {
  const series = row.runs.map((r) => (clock === 'wall' ? r.askMs : r.cpuMs));
  if (series.length === 0 || series.some((s) => s === undefined)) return NaN;
  return median(series.map((s) => s!.slice(-10).reduce((sum, v) => sum + v, 0) / Math.min(10, s!.length)));
};

function problemTable(problem: Problem, rows: Row[]): string {
  const checkpoints = CHECKPOINTS.filter((c) => c <= problem.budget);
  const header = ['library', 'sampler', 'seeds', ...CHECKPOINTS.map((c) => `best @${c} (median ±IQR)`), 'ms/suggest', 'CPU ms/suggest'];
  const body = rows.map((row) => {
    const cells = CHECKPOINTS.map((c) => {
      if (!checkpoints.includes(c)) return '—';
      if (row.referenceMedian !== undefined) return c === problem.budget ? `${fmt(row.referenceMedian)} (bench-problems.md)` : '—';
      const bests = row.runs.map((r) => bestSoFar(r.values, c));
      return `${fmt(median(bests))} ±${fmt(iqr(bests), 2)}`;
    });
    const ms = (clock: 'wall' | 'cpu') => {
      const v = msPerSuggest(row, clock);
      return Number.isFinite(v) ? fmt(v, 3) : '—';
    };
    return [row.library, row.label, row.referenceMedian !== undefined ? '—' : String(row.runs.length), ...cells, ms('wall'), ms('cpu')];
  });
  return table(header, body);
}

/** "At least as good" for minimization: our median <= theirs. Shown as a ratio when both are positive, else a difference. */
function compare(ours: number, theirs: number): { text: string; ok: boolean } {
  const ok = ours <= theirs;
  const text = ours > 0 && theirs > 0 ? `ratio ${fmt(ours / theirs, 3)}` : `diff ${fmt(ours - theirs, 3)}`;
  return { text, ok };
}

/** The Mann–Whitney p-value of the two rows' best values at the budget: below 0.05 the gap is more than seed noise. */
function significance(a: Row, b: Row, budget: number): string {
  if (a.runs.length === 0 || b.runs.length === 0) return '';
  const bests = (row: Row) => row.runs.map((r) => bestSoFar(r.values, budget));
  return `, p=${fmt(mannWhitneyP(bests(a), bests(b)), 2)}`;
}

function summary(problems: Problem[], rows: Row[]): string[] {
  const lines: string[] = [];
  const find = (library: Row['library'] | 'theirs', key: string, problem: string) =>
    rows.find((r) => r.problem === problem && r.key === key && (library === 'theirs' ? r.library !== 'ours' : r.library === library));
  const best = (library: 'ours' | 'theirs', problem: Problem) => {
    const candidates = rows.filter((r) => r.problem === problem.name && (library === 'ours' ? r.library === 'ours' : r.library !== 'ours'));
    return candidates.map((r) => ({ row: r, value: atBudget(r, problem.budget) })).sort((a, b) => a.value - b.value)[0];
  };
  const overview = problems.flatMap((problem) => {
    const ours = best('ours', problem);
    const theirs = best('theirs', problem);
    if (!ours || !theirs) return [];
    const c = compare(ours.value, theirs.value);
    return [[problem.name, `${ours.row.label} ${fmt(ours.value)}`, `${theirs.row.label} ${fmt(theirs.value)}`, c.text, c.ok ? 'at least as good' : 'worse']];
  });
  if (overview.length > 0) {
    lines.push('### our best sampler vs Optuna\'s best (median best value at the budget; minimization: "at least as good" = our median <= theirs)');
    lines.push(table(['problem', 'ours (best sampler)', 'Optuna (best sampler)', 'ours vs Optuna', 'verdict'], overview));
  }

  const targets: string[][] = [];
  const tpeRows = problems.map((p) => ({ p, ours: find('ours', 'tpe', p.name), theirs: find('theirs', 'tpe', p.name) }));
  for (const { p, ours, theirs } of tpeRows) {
    if (!ours || !theirs) continue;
    const c = compare(atBudget(ours, p.budget), atBudget(theirs, p.budget));
    targets.push([`tpe >= Optuna default TPE: ${p.name}`, `${fmt(atBudget(ours, p.budget))} vs ${fmt(atBudget(theirs, p.budget))} (${c.text}${significance(ours, theirs, p.budget)})`, c.ok ? 'PASS' : 'FAIL']);
  }
  const gpPairs = problems.map((p) => ({ p, ours: find('ours', 'gp', p.name), theirs: find('theirs', 'gp', p.name) })).filter((x) => x.ours && x.theirs);
  if (gpPairs.length > 0) {
    const wins = gpPairs.filter(({ p, ours, theirs }) => atBudget(ours!, p.budget) <= atBudget(theirs!, p.budget));
    const need = Math.max(1, gpPairs.length - 1); // 4 of 5; all but one of a subset
    targets.push([`gp >= Optuna GP on >= 4 of 5 problems`, `${wins.length} of ${gpPairs.length} (${wins.map((w) => w.p.name).join(', ') || 'none'})`, wins.length >= need ? 'PASS' : 'FAIL']);
    for (const { p, ours, theirs } of gpPairs) {
      const c = compare(atBudget(ours!, p.budget), atBudget(theirs!, p.budget));
      targets.push([`gp vs Optuna GP: ${p.name}`, `${fmt(atBudget(ours!, p.budget))} vs ${fmt(atBudget(theirs!, p.budget))} (${c.text}${significance(ours!, theirs!, p.budget)})`, c.ok ? 'PASS' : 'FAIL']);
    }
  }
  for (const { p, ours, theirs } of tpeRows) {
    if (!ours || !theirs || theirs.library !== 'optuna') continue;
    const a = msPerSuggest(ours, 'cpu');
    const b = msPerSuggest(theirs, 'cpu');
    targets.push([`tpe faster per suggestion than Optuna TPE (CPU): ${p.name}`, `${fmt(a, 3)} ms vs ${fmt(b, 3)} ms`, a < b ? 'PASS' : 'FAIL']);
  }
  for (const p of problems) {
    const gp = find('ours', 'gp', p.name);
    if (!gp) continue;
    const ms = msPerSuggest(gp, 'cpu');
    targets.push([`gp < 100 ms per suggestion (CPU): ${p.name}`, `${fmt(ms, 3)} ms (wall ${fmt(msPerSuggest(gp), 3)} ms)`, ms < 100 ? 'PASS' : 'FAIL']);
  }
  if (targets.length > 0) {
    lines.push('### targets of issue 3');
    lines.push(table(['target', 'measured', 'result'], targets));
  }
  return lines;
}

function printTables(problems: Problem[], rows: Row[]): void {
  for (const problem of problems) {
    const own = rows.filter((r) => r.problem === problem.name);
    if (own.length === 0) continue;
    console.log(`## ${problem.name} (budget ${problem.budget}, optimum ${problem.optimum})\n`);
    console.log(problemTable(problem, own));
    console.log('');
  }
  for (const line of summary(problems, rows)) console.log(`${line}\n`);
}

/** `--from FILE`: the tables of a saved run, for the problems and samplers it holds. */
function reprint(file: string): void {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { machine: string; rows: Row[] };
  const problems = PROBLEMS.filter((p) => saved.rows.some((r) => r.problem === p.name));
  for (const p of problems) {
    const has = (library: Row['library']) => saved.rows.some((r) => r.problem === p.name && r.key === 'gp' && r.library === library);
    if (has('ours') && !has('optuna') && !has('reference')) saved.rows.push(referenceGpRow(p.name));
  }
  console.log(`# bench:samplers — from ${file}; problems ${problems.map((p) => p.name).join(', ')}`);
  console.log(`machine: ${saved.machine}\n`);
  printTables(problems, saved.rows);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.from) return reprint(args.from);
  const problems = PROBLEMS.filter((p) => args.problems.includes(p.name));
  const specs = SAMPLERS.filter((s) => args.samplers.includes(s.key));
  console.log(`# bench:samplers${args.quick ? ' (quick)' : ''} — problems ${problems.map((p) => p.name).join(', ')}; samplers ${specs.map((s) => s.key).join(', ')}`);
  console.log(`machine: ${machine()}\n`);

  const rows: Row[] = [];
  const notes: string[] = [];
  const save = () => {
    if (args.json) writeFileSync(args.json, JSON.stringify({ machine: machine(), rows }, null, 1));
  };
  const started = performance.now();
  for (const problem of problems) {
    for (const spec of specs) {
      if (!Object.hasOwn(samplers, spec.type)) {
        notes.push(`ours ${spec.key}: sampler "${spec.type}" is not registered: not run`);
        continue;
      }
      const label = spec.options ? `${spec.type} ${JSON.stringify(spec.options)}` : spec.type;
      try {
        rows.push({ library: 'ours', key: spec.key, label, problem: problem.name, runs: runOurs(problem, spec, seedsFor(spec, args)) });
        save();
      } catch (err) {
        notes.push(`ours ${spec.key} on ${problem.name}: failed: ${(err as Error).message}`);
      }
    }
  }
  const oursSeconds = (performance.now() - started) / 1000;

  let optunaNote = 'Optuna: not run (--ours-only)';
  if (!args.oursOnly) {
    const optunaStarted = performance.now();
    const wantsGp = specs.some((s) => s.key === 'gp');
    const wantsCma = specs.some((s) => s.key === 'cmaes');
    const python = ensureOptuna(wantsGp ? ['cmaes', 'scipy', 'torch'] : wantsCma ? ['cmaes'] : []);
    await checkFunctions(python, problems);
    // GPSampler last: it takes longer than the others together, and a run stopped early keeps the rest.
    for (const spec of [...specs.filter((s) => s.key !== 'gp'), ...specs.filter((s) => s.key === 'gp')]) {
      if (spec.key === 'gp' || spec.key === 'cmaes') {
        const probe = await runPython<{ ok: boolean; reason?: string }>(python, SCRIPT, { mode: 'probe', sampler: spec.key });
        if (!probe.ok) {
          notes.push(`Optuna ${OPTUNA_LABELS[spec.key]}: not run (${probe.reason})${spec.key === 'gp' ? '; reference figure from bench-problems.md' : ''}`);
          if (spec.key === 'gp') {
            for (const p of problems) rows.push(referenceGpRow(p.name));
          }
          continue;
        }
      }
      for (const problem of problems) {
        const out = await runPython<{ optuna: string; runs: { values: number[]; ask_ms: number[]; cpu_ms: number[] }[] }>(python, SCRIPT, {
          mode: 'run',
          sampler: spec.key,
          problem: problem.name,
          space: problem.space,
          budget: problem.budget,
          seeds: seedsFor(spec, args),
        });
        rows.push({ library: 'optuna', key: spec.key, label: OPTUNA_LABELS[spec.key]!, problem: problem.name, runs: out.runs.map((r) => ({ values: r.values, askMs: r.ask_ms, cpuMs: r.cpu_ms })) });
        save();
      }
    }
    optunaNote = `Optuna ${OPTUNA_VERSION} in ${((performance.now() - optunaStarted) / 1000).toFixed(0)} s`;
  }

  printTables(problems, rows);
  for (const note of notes) console.log(`note: ${note}`);
  console.log(`ours in ${oursSeconds.toFixed(1)} s; ${optunaNote}.`);
  if (args.json) console.log(`raw results: ${args.json}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
