/**
 * The randomness port: where the client and the server draw the identifiers whose values decide
 * behaviour (a file's ident breaks ties between equal stamps; a partition's epoch). The default
 * is `crypto.randomBytes`; a simulation passes a seeded source so that a seed replays the run.
 * Secrets (token keys, salts, token ids) always come from `crypto` and never from here.
 */
import { randomBytes } from 'node:crypto';

/** `n` random bytes. */
export type RandomSource = (n: number) => Uint8Array;

/** Cryptographic randomness, the default. */
export const cryptoRandom: RandomSource = (n) => randomBytes(n);

/** `n` random bytes from `source`, as lowercase hex. */
export function randomHex(source: RandomSource, n: number): string {
  return Buffer.from(source(n)).toString('hex');
}
