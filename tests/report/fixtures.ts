// A small synthetic campaign for the report's unit tests: no servers.
import type { CampaignData, ReportTrial } from '../../report';

export function trial(number: number, state: ReportTrial['state'], lr: number, units: string, value: number | null, curve: number[] = []): ReportTrial {
  return {
    number,
    runId: `run${number}`,
    state,
    params: { learningRate: lr, units },
    values: state === 'COMPLETE' && value !== null ? [value] : null,
    history: Object.fromEntries(curve.map((v, i) => [i + 1, [v]])),
    epochs: curve.length,
    start: 1_700_000_000_000 + number * 1000,
    end: state === 'RUNNING' ? null : 1_700_000_000_000 + number * 1000 + 5000,
  };
}

export function campaign(trials: ReportTrial[]): CampaignData {
  return {
    campaignId: 'tiny-abc',
    specName: 'tiny',
    experimentId: '1',
    parentRunId: 'parent',
    status: 'COMPLETED',
    objectives: [{ label: 'val_loss', direction: 'minimize' }],
    space: { learningRate: { type: 'float', low: 1e-3, high: 3e-2, log: true }, units: { type: 'categorical', choices: ['8', '16'] } },
    params: [
      { name: 'learningRate', kind: 'numeric', log: true, low: 1e-3, high: 3e-2 },
      { name: 'units', kind: 'categorical', choices: ['8', '16'] },
    ],
    trials,
    bestHyperparametersYaml: 'trial: 1\nval_loss: 0.4\n',
    readAt: 1_700_000_100_000,
  };
}

/** Six trials: four COMPLETE, one PRUNED, one FAIL without any epoch. */
export const SIX = [
  trial(0, 'COMPLETE', 0.002, '8', 0.9, [1.2, 0.9]),
  trial(1, 'COMPLETE', 0.01, '16', 0.4, [0.8, 0.4]),
  trial(2, 'PRUNED', 0.02, '8', null, [1.5]),
  trial(3, 'FAIL', 0.005, '16', null),
  trial(4, 'COMPLETE', 0.03, '16', 0.6, [0.9, 0.6]),
  trial(5, 'COMPLETE', 0.001, '8', 1.1, [1.3, 1.1]),
];
