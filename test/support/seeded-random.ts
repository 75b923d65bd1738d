import { nextRandom } from '../../machines/random.js';

/**
 * A seeded source of uniform numbers in [0, 1) for tests that pick their instants at random:
 * the seed is printed by the test, so a failure replays from it.
 */
export function seededUniform(seed: number): () => number {
  let state = seed;
  return () => {
    const next = nextRandom(state);
    state = next.state;
    return next.value;
  };
}
