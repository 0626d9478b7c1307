// The layer rules in eslint.config.mjs, proved on imports that must fail and on ones that must pass:
// each case is linted as if it were a file in that folder.
import { ESLint } from 'eslint';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: join(__dirname, '..', '..') });

async function problems(file: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: file });
  return result!.messages.filter((m) => /restricted/.test(m.ruleId ?? '')).map((m) => m.message);
}

const forbidden: [string, string][] = [
  ['search/x.ts', "import { loadTf } from '../training';\nexport const a = loadTf;\n"],
  ['search/samplers/x.ts', "import { parseSpec } from '../../spec';\nexport const a = parseSpec;\n"],
  ['search/x.ts', "import { packTrials } from '../trials/pack';\nexport const a = packTrials;\n"],
  ['training/x.ts', "import { campaign } from '../workflows';\nexport const a = campaign;\n"],
  ['training/datasets/x.ts', "import { loadSpec } from '../../activities/spec';\nexport const a = loadSpec;\n"],
  ['mlflow/x.ts', "import { jobName } from '../activities/training';\nexport const a = jobName;\n"],
  ['activities/x.ts', "import { campaign } from '../workflows/campaign';\nexport const a = campaign;\n"],
  ['activities/x.ts', "import type { CarriedState } from '../workflows';\nexport type A = CarriedState;\n"],
  ['workflows/x.ts', "import { trainingActivities } from '../activities/training';\nexport const a = trainingActivities;\n"],
  ['workflows/x.ts', "import { MlflowClient } from '../mlflow/client';\nexport const a = MlflowClient;\n"],
  ['trials/x.ts', "import { loadSpec } from '../activities/spec';\nexport const a = loadSpec;\n"],
  ['report/x.ts', "import { findCampaignRun } from '../activities/lineage';\nexport const a = findCampaignRun;\n"],
  ['report/x.ts', "import { loadTf } from '../training';\nexport const a = loadTf;\n"],
  ['analysis/x.ts', "import { packTrials } from '../trials';\nexport const a = packTrials;\n"],
  ['analysis/x.ts', "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n"],
  ['report/x.ts', "import { Campaigns } from '../serve/campaigns';\nexport const a = Campaigns;\n"],
  ['stores/x.ts', "import { loadTf } from '../training';\nexport const a = loadTf;\n"],
  ['mlflow/x.ts', "import { localStore } from '../stores';\nexport const a = localStore;\n"],
  ['training/graph/x.ts', "import { SetupError } from '../../setup/util.mjs';\nexport const a = SetupError;\n"],
];

const allowed: [string, string][] = [
  ['workflows/x.ts', "import type { SegmentInput } from '../activities/types';\nexport type A = SegmentInput;\n"],
  ['activities/x.ts', "import { packTrials } from '../trials';\nexport const a = packTrials;\n"],
  ['training/x.ts', "import { OptionReader } from '../search/options';\nexport const a = OptionReader;\n"],
  ['search/samplers/x.ts', "import { createRng } from '../rng';\nexport const a = createRng;\n"],
  ['cli/x.ts', "import { campaign } from '../workflows';\nexport const a = campaign;\n"],
  ['report/x.ts', "import { importance } from '../analysis';\nexport const a = importance;\n"],
  ['analysis/x.ts', "import { rankFeasible } from '../search/ranking';\nexport const a = rankFeasible;\n"],
  ['stores/x.ts', "import { MlflowClient } from '../mlflow/client';\nexport const a = MlflowClient;\n"],
  ['activities/x.ts', "import { localStore } from '../stores';\nexport const a = localStore;\n"],
  ['cli/x.ts', "import { importance } from '../analysis';\nexport const a = importance;\n"],
  ['serve/x.ts', "import { campaignHandle } from '../cli/client';\nexport const a = campaignHandle;\n"],
  ['training/graph/x.ts', "import libraries from '../../setup/cuda-libraries.json';\nexport const a = libraries;\n"],
];

describe('layer rules (lint)', () => {
  it.each(forbidden)('refuses %s: %s', async (file, text) => {
    expect(await problems(file, text)).not.toEqual([]);
  }, 60_000);

  it.each(allowed)('accepts %s: %s', async (file, text) => {
    expect(await problems(file, text)).toEqual([]);
  }, 60_000);
});
