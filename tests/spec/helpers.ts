// Shared helpers for the spec tests: parse text and return the rendered problem lines.
import { parseSpec, SpecError, type LoadSpecOptions } from '../../spec';

/** The three fields every spec needs; tests append the section they exercise. */
export const HEADER = 'name: t\ndataset: d\nmodel: m\n';

/** The problem lines `parseSpec` reports for `text` (as file `x.yaml`); fails the test if the text is valid. */
export function problemLines(text: string, options?: LoadSpecOptions): string[] {
  try {
    parseSpec(text, 'x.yaml', options);
  } catch (err) {
    if (err instanceof SpecError) return err.message.split('\n');
    throw err;
  }
  throw new Error(`expected a SpecError for:\n${text}`);
}
