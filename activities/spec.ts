// Loads, validates and normalizes a spec. Runs once per campaign: the normalized spec then lives in
// the workflow history, so a replay never reads the file again.
import { ApplicationFailure } from '@temporalio/activity';
import { stringify } from 'yaml';
import { parseExperiment } from '../catalog';
import { readSpecText, SpecError } from '../spec';
import type { LoadedSpec, LoadSpecInput } from './types';

export async function loadSpec(input: LoadSpecInput): Promise<LoadedSpec> {
  try {
    if (input.specText !== undefined) {
      return { spec: parseExperiment(input.specText, input.specName ?? '<inline spec>', input.specDir), specText: input.specText };
    }
    if (input.specPath !== undefined) {
      const specText = await readSpecText(input.specPath);
      return { spec: parseExperiment(specText, input.specPath, input.specDir), specText };
    }
    if (input.spec !== undefined) {
      // An inline spec goes through the same YAML path, so its errors read the same way.
      const specText = stringify(input.spec);
      return { spec: parseExperiment(specText, '<inline spec>', input.specDir), specText };
    }
    throw new SpecError([{ file: '<input>', line: 0, column: 0, path: '', message: 'give either "specPath" or "spec"' }]);
  } catch (err) {
    if (err instanceof SpecError) throw ApplicationFailure.nonRetryable(err.message, 'SpecError');
    throw err;
  }
}
