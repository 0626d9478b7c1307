// Random search spaces for the property tests, generated with the seeded rng so a failure reproduces.
import { createRng, type Rng } from '../../search/rng';
import type { Scalar, SearchSpace } from '../../search/space-types';

/** A space of 1 to 7 parameters mixing every kind, with conditions (some nested) on categorical parents. */
export function randomSpace(seed: number): SearchSpace {
  const rng = createRng(seed, 0xcafe);
  const space: SearchSpace = {};
  const categoricals: { name: string; choices: Scalar[] }[] = [];
  const count = rng.int(1, 7);
  for (let i = 0; i < count; i++) {
    const name = `p${i}`;
    const kind = rng.int(0, 6);
    const definition = randomDefinition(rng, kind);
    // Half of the parameters after a categorical one depend on it (which may itself be conditional).
    const parent = categoricals.length > 0 && rng.uniform() < 0.5 ? rng.choice(categoricals) : undefined;
    if (typeof definition === 'object' && parent) {
      const allowed = rng.shuffle(parent.choices).slice(0, rng.int(1, parent.choices.length));
      definition.when = { [parent.name]: allowed.length === 1 ? allowed[0]! : allowed };
    }
    if (typeof definition === 'object' && definition.type === 'categorical') categoricals.push({ name, choices: definition.choices });
    space[name] = definition;
  }
  return space;
}

function randomDefinition(rng: Rng, kind: number): SearchSpace[string] {
  switch (kind) {
    case 0: {
      const low = round(rng.uniform() * 10 - 5);
      return { type: 'float', low, high: low + round(0.5 + rng.uniform() * 10) };
    }
    case 1: {
      const low = 10 ** rng.int(-6, 0);
      return { type: 'float', low, high: low * 10 ** rng.int(1, 4), log: true };
    }
    case 2: {
      const step = rng.choice([0.1, 0.25, 0.05, 1.5]);
      const low = round(rng.int(-3, 3) * 0.1);
      return { type: 'float', low, high: round(low + step * rng.int(1, 12)), step };
    }
    case 3: {
      const low = rng.int(-20, 20);
      const step = rng.choice([1, 1, 2, 5]);
      return { type: 'int', low, high: low + step * rng.int(1, 10) + rng.int(0, step - 1), step };
    }
    case 4: {
      const low = rng.int(1, 8);
      return { type: 'int', low, high: low * rng.int(2, 200), log: true };
    }
    case 5: {
      const pool: Scalar[] = ['a', 'b', 'c', 'sgd', 1, 2, 0.5, true, false];
      return { type: 'categorical', choices: rng.shuffle(pool).slice(0, rng.int(1, 5)) };
    }
    default:
      return rng.choice<Scalar>([3, 'fixed', false]);
  }
}

function round(x: number): number {
  return Number(x.toFixed(2));
}

/** Sum of (observed - expected)^2 / expected for equally likely outcomes. */
export function chiSquare(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}
