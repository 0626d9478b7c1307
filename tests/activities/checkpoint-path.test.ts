// A checkpoint path another worker returned, found again in this worker's own job folder.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localCheckpoint } from '../../activities/training';

describe('localCheckpoint', () => {
  const here = join('/cache', 'b', 'camp-1', 'retrain-0-seed0');

  it('rebases a path under another root onto this job folder', () => {
    expect(localCheckpoint(join('/mnt', 'a', 'camp-1', 'retrain-0-seed0', 'epoch-4'), here)).toBe(join(here, 'epoch-4'));
    expect(localCheckpoint(join('/mnt', 'a', 'camp-1', 'retrain-0-seed0', 'checkpoints'), here)).toBe(join(here, 'checkpoints'));
    expect(localCheckpoint(join('/mnt', 'a', 'camp-1', 'retrain-0-seed0'), here)).toBe(here);
  });

  it('leaves a path already in this folder, or not of this job, as it is', () => {
    expect(localCheckpoint(join(here, 'epoch-2'), here)).toBe(join(here, 'epoch-2'));
    expect(localCheckpoint(join('/mnt', 'a', 'camp-2', 'retrain-0-seed0', 'epoch-4'), here)).toBe(join('/mnt', 'a', 'camp-2', 'retrain-0-seed0', 'epoch-4'));
  });
});
