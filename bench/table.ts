// Shared helpers for the benchmark tables: robust statistics and plain-text tables with the machine.
import { cpus, totalmem } from 'node:os';

export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export const median = (values: readonly number[]) => quantile(values, 0.5);
export const iqr = (values: readonly number[]) => quantile(values, 0.75) - quantile(values, 0.25);

export function fmt(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(2);
  return v.toPrecision(digits);
}

/** A Markdown table: easy to read in a terminal and to paste into a closing note. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(cells[0]!), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...cells.slice(1).map(line)].join('\n');
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString()}`;
}

/**
 * Two-sided p-value of the Mann–Whitney U test that `a` and `b` come from the same distribution: the
 * exact permutation distribution of U (fine for the bench's 5–10 seeds a side), ties counted as halves.
 * A small p says the medians differ for real, a large one that the seeds cannot tell the two apart.
 */
export function mannWhitneyP(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return NaN;
  let u = 0;
  for (const x of a) for (const y of b) u += x < y ? 1 : x === y ? 0.5 : 0;
  // ways[i][j][k]: orderings of i a's and j b's with k (a before b) pairs.
  const ways: number[][][] = [];
  for (let i = 0; i <= n; i++) {
    ways.push([]);
    for (let j = 0; j <= m; j++) {
      const row = new Array<number>(i * j + 1).fill(0);
      if (i === 0 || j === 0) row[0] = 1;
      else {
        // The last of the merged order is an a (it precedes no b) or a b (each of the i a's precede it).
        ways[i - 1]![j]!.forEach((w, k) => (row[k] = row[k]! + w));
        ways[i]![j - 1]!.forEach((w, k) => (row[k + i] = row[k + i]! + w));
      }
      ways[i]!.push(row);
    }
  }
  const counts = ways[n]![m]!;
  const total = counts.reduce((s, w) => s + w, 0);
  const centre = (n * m) / 2;
  const distance = Math.abs(u - centre);
  let extreme = 0;
  counts.forEach((w, k) => {
    if (Math.abs(k - centre) >= distance - 1e-9) extreme += w;
  });
  return Math.min(1, extreme / total);
}
