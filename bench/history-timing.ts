// Where a campaign's time goes, read from its Temporal histories (every run of its continue-as-new
// chain): per activity type how long tasks waited for a worker (schedule-to-start) and ran, the workflow
// tasks' waits and run times, and the critical path of a trial's slot: from the suggestion that named it
// to the end of its training, split into the activities on it and the workflow's gaps between them.
// `timeHistories` is pure (events in, figures out); `campaignTiming` fetches the histories.
import type { Client } from '@temporalio/client';

/** The fields of a history event this reads (the SDK's proto objects fit it). */
export interface HistoryEventLike {
  eventId?: unknown;
  eventTime?: { seconds?: unknown; nanos?: number | null } | null;
  workflowTaskScheduledEventAttributes?: unknown;
  workflowTaskStartedEventAttributes?: { scheduledEventId?: unknown } | null;
  workflowTaskCompletedEventAttributes?: { scheduledEventId?: unknown; startedEventId?: unknown } | null;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null; input?: { payloads?: { data?: Uint8Array | null }[] | null } | null } | null;
  activityTaskStartedEventAttributes?: { scheduledEventId?: unknown; attempt?: number | null } | null;
  activityTaskCompletedEventAttributes?: { scheduledEventId?: unknown; result?: { payloads?: { data?: Uint8Array | null }[] | null } | null } | null;
  activityTaskFailedEventAttributes?: { scheduledEventId?: unknown } | null;
  activityTaskTimedOutEventAttributes?: { scheduledEventId?: unknown } | null;
}

/** Mean and total seconds of one kind of wait, over `count` samples. */
export interface Spread {
  count: number;
  meanSeconds: number;
  p90Seconds: number;
  totalSeconds: number;
}

export interface CampaignTiming {
  events: number;
  runs: number;
  workflowTasks: { scheduleToStart: Spread; run: Spread };
  /** Per activity type: waiting for a worker, and running (the last attempt's start to its end). */
  activities: Record<string, { scheduleToStart: Spread; run: Spread; retried: number }>;
  /**
   * A search trial's slot, mean seconds per step in order: the suggestion (scheduled to completed), the gap
   * to startRun's scheduling, startRun (absent where the first segment opens the run), then each segment and
   * the gap before it. `slotSeconds` is their sum:
   * with C slots a campaign runs at most C / slotSeconds trials a second.
   */
  slot: { trials: number; steps: Record<string, number>; slotSeconds: number };
  /**
   * Continue-as-new, per run but the last: `drain`, from the run's last new trial (its first segment
   * scheduled) to the run's last event, while running trials finish their segment and park; `gap`, from that
   * event to the next run's first. No new trial starts in either, so they cost throughput.
   */
  handover: { drain: Spread; gap: Spread };
}

const seconds = (t: HistoryEventLike['eventTime']) => (t ? Number(t.seconds ?? 0) + (t.nanos ?? 0) / 1e9 : NaN);
const id = (v: unknown) => Number(v);

function decode(payloads: { data?: Uint8Array | null }[] | null | undefined): unknown {
  const data = payloads?.[0]?.data;
  if (!data) return undefined;
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const total = sorted.reduce((a, b) => a + b, 0);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    count: sorted.length,
    meanSeconds: sorted.length ? round(total / sorted.length) : 0,
    p90Seconds: sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))]!) : 0,
    totalSeconds: round(total),
  };
}

interface Activity {
  type: string;
  input: unknown;
  scheduled: number;
  started?: number;
  attempt?: number;
  ended?: number;
  result?: unknown;
}

/** The figures for the histories of a campaign's runs (each a list of events in order). */
export function timeHistories(histories: readonly (readonly HistoryEventLike[])[]): CampaignTiming {
  const wftWait: number[] = [];
  const wftRun: number[] = [];
  const all: Activity[] = [];
  const spans: { first: number; last: number; lastNewTrial: number }[] = [];
  let events = 0;
  for (const history of histories) {
    events += history.length;
    const span = { first: seconds(history[0]?.eventTime), last: seconds(history.at(-1)?.eventTime), lastNewTrial: NaN };
    spans.push(span);
    const wftScheduled = new Map<number, number>();
    const wftStarted = new Map<number, number>();
    const acts = new Map<number, Activity>();
    for (const e of history) {
      const t = seconds(e.eventTime);
      const eid = id(e.eventId);
      if (e.workflowTaskScheduledEventAttributes) wftScheduled.set(eid, t);
      else if (e.workflowTaskStartedEventAttributes) {
        const s = wftScheduled.get(id(e.workflowTaskStartedEventAttributes.scheduledEventId));
        wftStarted.set(eid, t);
        if (s !== undefined) wftWait.push(t - s);
      } else if (e.workflowTaskCompletedEventAttributes) {
        const s = wftStarted.get(id(e.workflowTaskCompletedEventAttributes.startedEventId));
        if (s !== undefined) wftRun.push(t - s);
      } else if (e.activityTaskScheduledEventAttributes) {
        const a = e.activityTaskScheduledEventAttributes;
        const act: Activity = { type: a.activityType?.name ?? '?', input: decode(a.input?.payloads), scheduled: t };
        if (act.type === 'trainSegment' && isNewSearchTrial(act.input)) span.lastNewTrial = t;
        acts.set(eid, act);
        all.push(act);
      } else if (e.activityTaskStartedEventAttributes) {
        const act = acts.get(id(e.activityTaskStartedEventAttributes.scheduledEventId));
        if (act) Object.assign(act, { started: t, attempt: e.activityTaskStartedEventAttributes.attempt ?? 1 });
      } else if (e.activityTaskCompletedEventAttributes) {
        const act = acts.get(id(e.activityTaskCompletedEventAttributes.scheduledEventId));
        if (act) Object.assign(act, { ended: t, result: decode(e.activityTaskCompletedEventAttributes.result?.payloads) });
      } else {
        const failed = e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes;
        const act = failed ? acts.get(id(failed.scheduledEventId)) : undefined;
        if (act) act.ended = t;
      }
    }
  }

  const byType = new Map<string, Activity[]>();
  for (const a of all) byType.set(a.type, [...(byType.get(a.type) ?? []), a]);
  const activities: CampaignTiming['activities'] = {};
  for (const [type, list] of [...byType].sort((a, b) => b[1].length - a[1].length)) {
    const done = list.filter((a) => a.started !== undefined && a.ended !== undefined);
    activities[type] = {
      scheduleToStart: spread(done.map((a) => a.started! - a.scheduled)),
      run: spread(done.map((a) => a.ended! - a.started!)),
      retried: list.filter((a) => (a.attempt ?? 1) > 1).length,
    };
  }
  return { events, runs: histories.length, workflowTasks: { scheduleToStart: spread(wftWait), run: spread(wftRun) }, activities, slot: slotPath(all), handover: handover(spans) };
}

/** A search trial's first segment: it starts a new trial (a parked trial resumes from a later epoch). */
function isNewSearchTrial(input: unknown): boolean {
  const fields = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  return fields.stage === 'search' && fields.fromEpoch === 0;
}

/** The drain and the gap of each continue-as-new (CampaignTiming.handover), runs in time order. */
function handover(spans: readonly { first: number; last: number; lastNewTrial: number }[]): CampaignTiming['handover'] {
  const ordered = [...spans].sort((a, b) => a.first - b.first);
  const drain: number[] = [];
  const gap: number[] = [];
  for (let i = 0; i + 1 < ordered.length; i++) {
    const run = ordered[i]!;
    if (Number.isFinite(run.lastNewTrial)) drain.push(run.last - run.lastNewTrial);
    gap.push(ordered[i + 1]!.first - run.last);
  }
  return { drain: spread(drain), gap: spread(gap) };
}

/** The mean critical path of a search trial's slot (see CampaignTiming.slot). */
function slotPath(all: readonly Activity[]): CampaignTiming['slot'] {
  const field = (input: unknown, key: string): unknown => (typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[key] : undefined);
  const suggestionOf = new Map<number, Activity>();
  const startOf = new Map<number, Activity>();
  const segmentsOf = new Map<number, Activity[]>();
  for (const a of all) {
    if (a.type === 'suggestTrials') for (const n of (field(a.input, 'numbers') as number[] | undefined) ?? []) suggestionOf.set(n, a);
    if (field(a.input, 'stage') !== 'search') continue;
    const n = field(a.input, 'trialNumber') as number;
    if (a.type === 'startRun') startOf.set(n, a);
    if (a.type === 'trainSegment') segmentsOf.set(n, [...(segmentsOf.get(n) ?? []), a]);
  }
  // Per step: sum and count (a local activity's suggestion leaves no activity events: those steps are absent).
  const sums: Record<string, number> = {};
  const counts: Record<string, number> = {};
  let trials = 0;
  for (const [n, unsorted] of segmentsOf) {
    // Since patch run-in-first-segment a trial has no startRun: its first segment opens the run.
    const start = startOf.get(n);
    const suggestion = suggestionOf.get(n);
    const segments = [...unsorted].sort((a, b) => a.scheduled - b.scheduled);
    const complete = (a: Activity | undefined) => a?.started !== undefined && a.ended !== undefined;
    if ((start && !complete(start)) || !segments.every(complete)) continue;
    trials += 1;
    const add = (k: string, v: number) => {
      sums[k] = (sums[k] ?? 0) + v;
      counts[k] = (counts[k] ?? 0) + 1;
    };
    const first = start ?? segments[0]!;
    if (complete(suggestion)) {
      add('suggestTrials (scheduled to done)', suggestion!.ended! - suggestion!.scheduled);
      add(start ? 'gap before startRun' : 'gap before segment 1', first.scheduled - suggestion!.ended!);
    }
    let previous = first.scheduled;
    if (start) {
      add('startRun wait', start.started! - start.scheduled);
      add('startRun run', start.ended! - start.started!);
      previous = start.ended!;
    }
    segments.forEach((s, i) => {
      if (i > 0 || start) add(`gap before segment ${i + 1}`, s.scheduled - previous);
      add(`segment ${i + 1} wait`, s.started! - s.scheduled);
      add(`segment ${i + 1} run`, s.ended! - s.started!);
      previous = s.ended!;
    });
  }
  const steps = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, Math.round((v / counts[k]!) * 1000) / 1000]));
  return { trials, steps, slotSeconds: Math.round(Object.values(steps).reduce((a, b) => a + b, 0) * 1000) / 1000 };
}

/** Fetches every run's history of the campaign's chain and times it. */
export async function campaignTiming(client: Client, workflowId: string): Promise<CampaignTiming> {
  const histories: HistoryEventLike[][] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await client.workflow.getHandle(workflowId, wf.runId).fetchHistory();
    histories.push((history.events ?? []) as HistoryEventLike[]);
  }
  return timeHistories(histories);
}
