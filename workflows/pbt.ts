// Population-based training inside the campaign workflow (docs/pbt.md). The population is the campaign's
// trials, all running at once; segments end at every `perturbationInterval` epochs (the pbt scheduler's
// milestones). At such a boundary each member waits until every living member has reached it; then the
// pure decision (search/schedulers/pbt.ts) says, per member, continue or exploit a donor: the exploit
// activity copies the donor's checkpoint into the member's job folder and the member trains on from it
// with the donor's parameters, explored. The members' schedules (epoch → parameters) and exploits are
// carried across continue-as-new and replayed by the retrain stage.
import { condition } from '@temporalio/workflow';
import type { ExploitInput, ExploitOutput, PbtLineageInput, PbtScheduleEntry } from '../activities/types';
import { pbtDecisions, type PbtDecision, type PbtOptions } from '../search/schedulers/pbt';
import type { Params } from '../search/space-types';
import { pbtMutable, pbtOptions } from '../spec/pbt';
import type { ExperimentSpec } from '../spec/types';
import type { TrialRecord } from '../trials';
import type { CampaignState } from './state';

/** What a population hands to the campaign's next run on continue-as-new. */
export interface PbtCarried {
  /** Trial number → its schedule, oldest first (the first entry holds from epoch 0). */
  schedules: Record<number, PbtScheduleEntry[]>;
  /** Trial number → its exploits, oldest first (donor as the user sees it). */
  exploits: Record<number, { donor: number; epoch: number }[]>;
  /** Trial number → the last boundary whose decision it applied (0: it logged its start). */
  applied: Record<number, number>;
}

/** The side effects a boundary needs, as the job runner provides them. */
export interface PbtEffects {
  exploit(input: ExploitInput): Promise<ExploitOutput>;
  lineage(input: PbtLineageInput): Promise<void>;
}

export class Population {
  readonly options: PbtOptions;
  readonly mutable: string[];
  readonly schedules: PbtCarried['schedules'];
  readonly exploits: PbtCarried['exploits'];
  readonly applied: PbtCarried['applied'];
  /** Decisions by boundary, computed once when the whole population has reached it. */
  private readonly decided = new Map<number, Map<number, PbtDecision>>();

  constructor(spec: ExperimentSpec, carried: PbtCarried | undefined) {
    this.options = pbtOptions(spec)!;
    this.mutable = pbtMutable(spec);
    this.schedules = carried?.schedules ?? {};
    this.exploits = carried?.exploits ?? {};
    this.applied = carried?.applied ?? {};
  }

  carried(): PbtCarried {
    return { schedules: this.schedules, exploits: this.exploits, applied: this.applied };
  }

  /** A member's schedule; a trial that never reached a boundary holds its params from epoch 0. */
  scheduleOf(t: TrialRecord): PbtScheduleEntry[] {
    return this.schedules[t.number] ?? [{ epoch: 0, params: t.params }];
  }

  /** The parameters a schedule holds for the epoch after `epoch` (a retrain replays them by epoch). */
  static paramsAfter(schedule: readonly PbtScheduleEntry[], epoch: number): Params {
    return [...schedule].reverse().find((e) => e.epoch <= epoch)!.params;
  }

  /** Epochs at which the parameters of a schedule change (after 0): a retrain's segments end there. */
  static changes(schedule: readonly PbtScheduleEntry[]): number[] {
    return schedule.map((e) => e.epoch).filter((e) => e > 0);
  }

  /** Every member still in the population has trained `epoch` epochs (failed ones have left it). */
  private reached(state: CampaignState, epoch: number): boolean {
    return state.trials.every((m) => m.state !== 'RUNNING' || m.epochsDone >= epoch);
  }

  private decisionsAt(state: CampaignState, epoch: number): Map<number, PbtDecision> {
    let decisions = this.decided.get(epoch);
    if (!decisions) {
      const { spec } = state.ready();
      const members = state.trials
        .filter((m) => m.state === 'RUNNING' && m.history[epoch] !== undefined)
        .map((m) => ({ number: m.number, value: m.history[epoch]![0] ?? null, params: m.params }));
      decisions = pbtDecisions({ members, direction: spec.objective[0]!.direction, epoch, seed: spec.seed, options: this.options, space: state.space!, mutable: this.mutable });
      this.decided.set(epoch, decisions);
    }
    return decisions;
  }

  /**
   * Before a member's next segment: at its start, record its first configuration; at a boundary, wait for
   * the population, then exploit and explore if the decision says so. False when a continue-as-new is due
   * while it waits (it parks here; the next run asks again, the decision is the same).
   */
  async beforeSegment(state: CampaignState, t: TrialRecord, effects: PbtEffects): Promise<boolean> {
    const epoch = t.epochsDone;
    const shown = (n: number) => n + state.offset;
    if (this.applied[t.number] === undefined) {
      this.schedules[t.number] = [{ epoch: 0, params: t.params }];
      this.exploits[t.number] = [];
      await effects.lineage({ runId: t.runId!, epoch: 0, params: t.params, schedule: this.schedules[t.number]!, exploits: [] });
      this.applied[t.number] = 0;
    }
    if (epoch === 0 || epoch % this.options.perturbationInterval !== 0 || this.applied[t.number] === epoch) return true;
    await condition(() => this.reached(state, epoch) || state.draining);
    if (!this.reached(state, epoch)) return false;
    const decision = this.decisionsAt(state, epoch).get(t.number) ?? { kind: 'continue' };
    if (decision.kind === 'exploit') {
      const donor = state.trials[decision.donor]!;
      const ref = (m: TrialRecord) => ({ campaignId: state.workflowId, tracking: state.ready().tracking, stage: 'search' as const, trialNumber: shown(m.number), seedIndex: 0, runId: m.runId! });
      await effects.exploit({ spec: state.ready().spec, donor: ref(donor), recipient: ref(t), epoch });
      t.params = decision.params;
      // The donor's weights carry the donor's past: the recipient's schedule is the donor's up to here.
      this.schedules[t.number] = [...this.scheduleOf(donor).filter((e) => e.epoch < epoch), { epoch, params: decision.params }];
      this.exploits[t.number] = [...(this.exploits[t.number] ?? []), { donor: shown(donor.number), epoch }];
    }
    this.applied[t.number] = epoch;
    await effects.lineage({ runId: t.runId!, epoch, params: t.params, schedule: this.scheduleOf(t), exploits: this.exploits[t.number] ?? [] });
    return true;
  }
}
