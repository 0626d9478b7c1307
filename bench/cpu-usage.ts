// CPU time of processes and everything below them, read from /proc (Linux): the scale bench samples it
// before and after a campaign to say which component was busiest. A process's own user+system time,
// plus that of its live descendants, plus what its exited children left in its cutime/cstime.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux this runs on

interface Stat {
  ppid: number;
  /** utime + stime + cutime + cstime, in ticks. */
  ticks: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    // The command name in brackets may hold spaces: fields are counted after its closing bracket.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    const n = (i: number) => Number(fields[i - 3]);
    return { ppid: n(4), ticks: n(14) + n(15) + n(16) + n(17) };
  } catch {
    return undefined; // ended meanwhile
  }
}

/** CPU seconds used so far by each root process and its tree. */
export function cpuSeconds(roots: readonly number[]): number[] {
  const stats = new Map<number, Stat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) stats.set(Number(entry), stat);
  }
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of stats) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const tree = (pid: number): number => (stats.get(pid)?.ticks ?? 0) + (children.get(pid) ?? []).reduce((sum, child) => sum + tree(child), 0);
  return roots.map((pid) => tree(pid) / TICKS_PER_SECOND);
}
