// The campaign's queries and updates. Validators run before an update is recorded, so a rejected
// request leaves nothing in the history; the handlers only change the controls (and `cancel` cancels
// the running jobs). The rules of what may be asked when are in control.ts.
import { setHandler } from '@temporalio/workflow';
import { leaderboard } from '../trials';
import {
  cancelUpdate,
  concurrencyProblem,
  enqueueProblem,
  enqueueUpdate,
  extendProblem,
  extendUpdate,
  leaderboardQuery,
  pauseUpdate,
  resumeUpdate,
  searchStageProblem,
  setConcurrencyUpdate,
  statusQuery,
  stopUpdate,
  type Controls,
} from './control';
import type { CampaignState } from './state';

function check(problem: string | null): void {
  if (problem) throw new Error(problem);
}

/** A pbt campaign's population is its trials: none can join it later (docs/pbt.md). */
function fixedPopulation(state: CampaignState, what: string | null): string | null {
  return what && state.pbt ? `${what}: a pbt campaign's population is fixed at search.scheduler.options.populationSize` : null;
}

export function installHandlers(state: CampaignState): void {
  const loaded = (): Controls => {
    if (!state.controls) throw new Error('the campaign is still loading its spec; try again in a moment');
    return state.controls;
  };
  const progress = () => state.progress();

  setHandler(statusQuery, progress);
  setHandler(leaderboardQuery, () => (state.spec ? leaderboard(state.trials, state.directions()).map((row) => state.shown(row)) : []));

  setHandler(pauseUpdate, () => ((loaded().paused = true), progress()), {
    validator: () => check(searchStageProblem(state.phase, loaded()) ?? (loaded().paused ? 'the campaign is already paused' : null)),
  });
  setHandler(resumeUpdate, () => ((loaded().paused = false), progress()), {
    validator: () => check(loaded().paused ? null : 'the campaign is not paused'),
  });
  setHandler(stopUpdate, () => ((loaded().stopRequested = true), (loaded().paused = false), progress()), {
    validator: () => check(searchStageProblem(state.phase, loaded())),
  });
  setHandler(cancelUpdate, () => ((loaded().cancelRequested = true), state.work.cancel(), progress()), {
    validator: () =>
      check(
        loaded().cancelRequested
          ? 'the campaign is already being cancelled'
          : state.phase === 'finalizing' || state.phase === 'done'
            ? 'the campaign is finishing'
            : null,
      ),
  });
  setHandler(
    extendUpdate,
    (req) => {
      const c = loaded();
      c.maxTrials += req.trials ?? 0;
      if (req.seconds !== undefined && c.maxDurationSeconds !== null) c.maxDurationSeconds += req.seconds;
      return progress();
    },
    { validator: (req) => check(fixedPopulation(state, req?.trials !== undefined ? 'extend --trials' : null) ?? extendProblem(req, state.phase, loaded())) },
  );
  setHandler(setConcurrencyUpdate, (n) => ((loaded().maxConcurrentTrials = n), progress()), {
    validator: (n) => check(concurrencyProblem(n, state.phase, loaded())),
  });
  setHandler(enqueueUpdate, (list) => (loaded().enqueued.push(...list), progress()), {
    validator: (list) => check(fixedPopulation(state, 'enqueue') ?? enqueueProblem(list, state.space, state.phase, loaded())),
  });
}
