// The activities as the workflow calls them: timeouts and retry policies, and the training task
// queues. A job's training activities all run on the queue where its training ran: a spec may send
// segments to a CPU queue when no GPU worker picks them up in time, and then its evaluation and its
// clean-up must not wait for a GPU worker either.
import { ActivityFailure, TimeoutFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { CampaignActivities, SegmentInput, SegmentOutput } from '../activities/types';
import type { ExperimentSpec } from '../spec/types';

// MLflow or a worker may be down for a while: keep retrying, the campaign waits rather than loses work.
const controlRetry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['SpecError', 'LineageError'] };

export const control = proxyActivities<Omit<CampaignActivities, 'suggestTrials' | TrainingActivityName>>({
  startToCloseTimeout: '5 minutes',
  // These beat on a timer while they wait on I/O (activities/heartbeat.ts): a killed worker's attempt is retried after 30 s.
  heartbeatTimeout: '30 seconds',
  retry: controlRetry,
});

/**
 * The sampler computes in a worker thread while the activity heartbeats (activities/suggest.ts): a killed
 * worker's attempt is retried after 30 s, and a slow suggestion (a GP over thousands of trials) has an hour.
 */
export const sampling = proxyActivities<Pick<CampaignActivities, 'suggestTrials'>>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '30 seconds',
  retry: controlRetry,
});

/**
 * The same, as a local activity (behind patched('local-suggest'), campaign.ts): it runs on the control worker
 * that runs the workflow, as the activity did, but its input (every trial, packed: ~33 B a trial, 166 KB at
 * 5,000) never enters the history, and the request takes one marker event instead of an activity's six.
 * A worker killed meanwhile fails its workflow task, and the next worker computes it again (samplers are pure).
 */
export const localSampling = proxyLocalActivities<Pick<CampaignActivities, 'suggestTrials'>>({
  startToCloseTimeout: '1 hour',
  retry: controlRetry,
});

type TrainingActivityName = 'trainSegment' | 'evaluateRun' | 'deleteCheckpoints' | 'exploitCheckpoint';
export type TrainingCalls = Pick<CampaignActivities, TrainingActivityName>;
/** Which of the campaign's training queues a job's last segment ran on. */
export type QueueChoice = 'primary' | 'fallback';

function trainingOn(taskQueue: string, scheduleToStartSeconds?: number): TrainingCalls {
  return proxyActivities<TrainingCalls>({
    taskQueue,
    startToCloseTimeout: '24 hours',
    // A killed worker stops heartbeating; the segment is retried elsewhere from its last checkpoint.
    heartbeatTimeout: '30 seconds',
    ...(scheduleToStartSeconds ? { scheduleToStartTimeout: `${scheduleToStartSeconds} seconds` } : {}),
    // The activities raise the errors that retrying cannot fix as non-retryable failures themselves.
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
  });
}

function isScheduleToStartTimeout(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_START';
}

/** The configured training queue, and the fallback queue when the spec names one. */
export class TrainingQueues {
  /** The configured queue, giving up after `fallbackAfter` when a fallback exists. */
  private readonly first: TrainingCalls;
  /** The configured queue without that limit: for the jobs known to run there. */
  private readonly primary: TrainingCalls;
  private readonly fallback: TrainingCalls | null;

  constructor(resources: ExperimentSpec['resources']) {
    const { taskQueue, fallbackTaskQueue, fallbackAfterSeconds } = resources;
    this.first = trainingOn(taskQueue, fallbackTaskQueue ? fallbackAfterSeconds : undefined);
    this.primary = fallbackTaskQueue ? trainingOn(taskQueue) : this.first;
    this.fallback = fallbackTaskQueue ? trainingOn(fallbackTaskQueue) : null;
  }

  /** Run a call on the configured queue; on the fallback queue when no worker picked it up in time. */
  private async firstThenFallback<T>(call: (on: TrainingCalls) => Promise<T>): Promise<{ value: T; queue: QueueChoice }> {
    try {
      return { value: await call(this.first), queue: 'primary' };
    } catch (err) {
      if (!this.fallback || !isScheduleToStartTimeout(err)) throw err;
      return { value: await call(this.fallback), queue: 'fallback' };
    }
  }

  /** Every segment tries the configured queue first: a GPU worker may have come up since the last one. */
  async trainSegment(req: SegmentInput): Promise<{ out: SegmentOutput; queue: QueueChoice }> {
    const { value, queue } = await this.firstThenFallback((on) => on.trainSegment(req));
    return { out: value, queue };
  }

  /** The calls for a job whose training ran on `queue`; unknown (nothing trained in this run): as a segment would. */
  on(queue: QueueChoice | null): TrainingCalls {
    if (queue === 'fallback' && this.fallback) return this.fallback;
    if (queue === 'primary') return this.primary;
    return {
      trainSegment: async (req) => (await this.trainSegment(req)).out,
      evaluateRun: async (req) => (await this.firstThenFallback((on) => on.evaluateRun(req))).value,
      deleteCheckpoints: async (ref) => (await this.firstThenFallback((on) => on.deleteCheckpoints(ref))).value,
      exploitCheckpoint: async (req) => (await this.firstThenFallback((on) => on.exploitCheckpoint(req))).value,
    };
  }
}
