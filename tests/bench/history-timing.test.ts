// The history timing of bench:scale (bench/history-timing.ts): a pure function of the events, checked on
// a small hand-written history of one trial (times in seconds from 0) whose waits and runs are known.
import { describe, expect, it } from 'vitest';
import { timeHistories, type HistoryEventLike } from '../../bench/history-timing';

const json = (value: unknown) => ({ payloads: [{ data: new TextEncoder().encode(JSON.stringify(value)) }] });
const at = (s: number) => ({ seconds: Math.floor(s), nanos: Math.round((s % 1) * 1e9) });

/** Events in order: [time, kind, fields]; ids are positions from 1, as in a real history. */
function history(rows: [number, string, Record<string, unknown>?][]): HistoryEventLike[] {
  return rows.map(([t, kind, fields = {}], i) => ({ eventId: i + 1, eventTime: at(t), [kind]: fields }));
}

describe('timeHistories', () => {
  it("splits a trial's slot into its activities, their waits and the workflow's gaps", () => {
    const search = { stage: 'search', trialNumber: 0 };
    const events = history([
      [0, 'workflowTaskScheduledEventAttributes'],
      [0.5, 'workflowTaskStartedEventAttributes', { scheduledEventId: 1 }],
      [0.6, 'workflowTaskCompletedEventAttributes', { scheduledEventId: 1, startedEventId: 2 }],
      [0.6, 'activityTaskScheduledEventAttributes', { activityType: { name: 'suggestTrials' }, input: json({ numbers: [0] }) }], // 4
      [0.7, 'activityTaskStartedEventAttributes', { scheduledEventId: 4, attempt: 1 }],
      [0.9, 'activityTaskCompletedEventAttributes', { scheduledEventId: 4 }],
      [1.0, 'activityTaskScheduledEventAttributes', { activityType: { name: 'startRun' }, input: json(search) }], // 7
      [1.5, 'activityTaskStartedEventAttributes', { scheduledEventId: 7, attempt: 2 }],
      [2.0, 'activityTaskCompletedEventAttributes', { scheduledEventId: 7, result: json('run-0') }],
      [2.25, 'activityTaskScheduledEventAttributes', { activityType: { name: 'trainSegment' }, input: json(search) }], // 10
      [2.5, 'activityTaskStartedEventAttributes', { scheduledEventId: 10, attempt: 1 }],
      [3.5, 'activityTaskCompletedEventAttributes', { scheduledEventId: 10 }],
    ]);
    const timing = timeHistories([events]);
    expect(timing.events).toBe(12);
    expect(timing.runs).toBe(1);
    expect(timing.workflowTasks.scheduleToStart).toMatchObject({ count: 1, meanSeconds: 0.5 });
    expect(timing.workflowTasks.run.meanSeconds).toBeCloseTo(0.1, 3);
    expect(timing.activities.startRun).toMatchObject({ retried: 1, scheduleToStart: { count: 1, meanSeconds: 0.5 }, run: { meanSeconds: 0.5 } });
    expect(timing.activities.trainSegment!.run.meanSeconds).toBe(1);
    expect(timing.slot.trials).toBe(1);
    expect(timing.slot.steps).toEqual({
      'suggestTrials (scheduled to done)': 0.3,
      'gap before startRun': 0.1,
      'startRun wait': 0.5,
      'startRun run': 0.5,
      'gap before segment 1': 0.25,
      'segment 1 wait': 0.25,
      'segment 1 run': 1,
    });
    expect(timing.slot.slotSeconds).toBeCloseTo(2.9, 3);
  });

  it('leaves out a trial whose segment has not ended; a suggestion made as a local activity is absent, not zero', () => {
    const trial = { stage: 'search', trialNumber: 1 };
    const rows: [number, string, Record<string, unknown>?][] = [
      [0, 'activityTaskScheduledEventAttributes', { activityType: { name: 'startRun' }, input: json(trial) }],
      [1, 'activityTaskStartedEventAttributes', { scheduledEventId: 1 }],
      [2, 'activityTaskCompletedEventAttributes', { scheduledEventId: 1 }],
      [3, 'activityTaskScheduledEventAttributes', { activityType: { name: 'trainSegment' }, input: json(trial) }],
    ];
    expect(timeHistories([history(rows)]).slot).toEqual({ trials: 0, steps: {}, slotSeconds: 0 });
    rows.push([4, 'activityTaskStartedEventAttributes', { scheduledEventId: 4 }], [5, 'activityTaskCompletedEventAttributes', { scheduledEventId: 4 }]);
    const slot = timeHistories([history(rows)]).slot;
    expect(slot.trials).toBe(1);
    expect(Object.keys(slot.steps)).not.toContain('suggestTrials (scheduled to done)');
    expect(slot.slotSeconds).toBe(5);
  });

  it('times a trial whose first segment opened its run (no startRun) from the suggestion to its segments', () => {
    const trial = { stage: 'search', trialNumber: 2 };
    const events = history([
      [0.6, 'activityTaskScheduledEventAttributes', { activityType: { name: 'suggestTrials' }, input: json({ numbers: [2] }) }], // 1
      [0.7, 'activityTaskStartedEventAttributes', { scheduledEventId: 1, attempt: 1 }],
      [0.9, 'activityTaskCompletedEventAttributes', { scheduledEventId: 1 }],
      [1.0, 'activityTaskScheduledEventAttributes', { activityType: { name: 'trainSegment' }, input: json(trial) }], // 4
      [1.2, 'activityTaskStartedEventAttributes', { scheduledEventId: 4, attempt: 1 }],
      [2.0, 'activityTaskCompletedEventAttributes', { scheduledEventId: 4 }],
      [2.5, 'activityTaskScheduledEventAttributes', { activityType: { name: 'trainSegment' }, input: json(trial) }], // 7
      [2.5, 'activityTaskStartedEventAttributes', { scheduledEventId: 7, attempt: 1 }],
      [3.5, 'activityTaskCompletedEventAttributes', { scheduledEventId: 7 }],
    ]);
    const slot = timeHistories([events]).slot;
    expect(slot.trials).toBe(1);
    expect(slot.steps).toEqual({
      'suggestTrials (scheduled to done)': 0.3,
      'gap before segment 1': 0.1,
      'segment 1 wait': 0.2,
      'segment 1 run': 0.8,
      'gap before segment 2': 0.5,
      'segment 2 wait': 0,
      'segment 2 run': 1,
    });
    expect(slot.slotSeconds).toBeCloseTo(2.9, 3);
  });
  it("times each continue-as-new: the run's drain after its last new trial, and the gap to the next run", () => {
    const segment = (trialNumber: number, fromEpoch: number) => ({ activityType: { name: 'trainSegment' }, input: json({ stage: 'search', trialNumber, fromEpoch }) });
    const first = history([
      [0, 'workflowTaskScheduledEventAttributes'],
      [1, 'activityTaskScheduledEventAttributes', segment(0, 0)],
      [2, 'activityTaskScheduledEventAttributes', segment(1, 0)],
      [3, 'activityTaskScheduledEventAttributes', segment(0, 1)],
      [5, 'workflowTaskCompletedEventAttributes', { scheduledEventId: 1, startedEventId: 1 }],
    ]);
    // The next run resumes trial 0 (from epoch 1: not a new trial) and starts trial 2.
    const second = history([
      [5.5, 'workflowTaskScheduledEventAttributes'],
      [6, 'activityTaskScheduledEventAttributes', segment(0, 1)],
      [7, 'activityTaskScheduledEventAttributes', segment(2, 0)],
      [10, 'workflowTaskCompletedEventAttributes', { scheduledEventId: 1, startedEventId: 1 }],
    ]);
    const { handover } = timeHistories([second, first]); // the order the server lists them in does not matter
    expect(handover.drain).toMatchObject({ count: 1, meanSeconds: 3 });
    expect(handover.gap).toMatchObject({ count: 1, meanSeconds: 0.5 });
    expect(timeHistories([first]).handover.gap.count).toBe(0);
  });
});
