// docs/datasets-and-models.md must keep up with the registries: every data set, model family and
// option they accept is named there (a new one without docs fails here).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { DATASETS, MODELS, TRAINING_HYPERPARAMETERS } from '../../training';

const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'datasets-and-models.md'), 'utf8');

describe('docs/datasets-and-models.md', () => {
  test.each(Object.entries(DATASETS))('data set %s and its options', (name, module) => {
    expect(doc).toContain(`\`${name}\``);
    for (const option of Object.keys(module.options)) expect(doc, `${name}.${option}`).toContain(`\`${option}\``);
  });

  test.each(Object.entries(MODELS))('model family %s and its options', (name, family) => {
    expect(doc).toContain(`\`${name}\``);
    for (const option of Object.keys(family.hyperparameters)) expect(doc, `${name}.${option}`).toContain(`\`${option}\``);
  });

  test('training settings', () => {
    for (const key of Object.keys(TRAINING_HYPERPARAMETERS)) expect(doc, key).toContain(`\`${key}\``);
  });
});
