// `tuneflow validate <spec>`: load the spec and say in one line what it is, or list its problems.
import { formatSpecError } from './errors';
import { loadSpecFile, type LoadSpecOptions } from './load';

export async function validateSpecCommand(path: string, options: LoadSpecOptions = {}): Promise<{ ok: boolean; output: string }> {
  try {
    const spec = await loadSpecFile(path, options);
    const parameters = Object.keys(spec.search.space).length;
    const summary = `${spec.name}, ${parameters} parameter${parameters === 1 ? '' : 's'}, sampler ${spec.search.sampler.type}, scheduler ${spec.search.scheduler.type}`;
    return { ok: true, output: `${path}: OK (${summary})` };
  } catch (err) {
    return { ok: false, output: formatSpecError(err) };
  }
}
