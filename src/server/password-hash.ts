import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * A password as the server keeps it: an scrypt key of the password and a random salt of its
 * own, with the parameters it was made with (so that stronger parameters later still read old
 * records). Salt and key are base64.
 */
export interface PasswordHash {
  readonly algorithm: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string;
  readonly key: string;
}

/**
 * scrypt cost for new hashes: N = 2^15, r = 8 (32 MiB and about 0.1 s per hash on one core);
 * each guess costs an attacker who stole the file as much.
 */
export const DEFAULT_PASSWORD_COST: PasswordCost = { N: 2 ** 15, r: 8, p: 1 };

/** scrypt's cost parameters: N (a power of two), r and p. */
export interface PasswordCost {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Stored parameters are trusted only up to this cost, so a damaged file cannot ask for gigabytes. */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

/** Why `cost` is no scrypt cost a server may hash with (`undefined`: it is one). */
export function passwordCostProblem(cost: PasswordCost): string | undefined {
  const { N, r, p } = cost;
  if (!Number.isInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0) return `N must be a power of two from 2 to ${MAX_N}, got ${N}`;
  if (!Number.isInteger(r) || r < 1 || r > MAX_R) return `r must be an integer from 1 to ${MAX_R}, got ${r}`;
  if (!Number.isInteger(p) || p < 1 || p > MAX_P) return `p must be an integer from 1 to ${MAX_P}, got ${p}`;
  return undefined;
}

function derive(password: string, salt: Buffer, cost: { readonly N: number; readonly r: number; readonly p: number }, length: number): Promise<Buffer> {
  // 128·N·r bytes of memory; Node refuses above `maxmem`, whose default (32 MiB) is just our cost.
  const options: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
  // The async form runs in libuv's thread pool: a login does not stop the sync sockets.
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, options, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}

/** Hashes `password` with a fresh random salt, at `cost` (the default's unless a server was told otherwise). */
export async function hashPassword(password: string, cost: PasswordCost = DEFAULT_PASSWORD_COST): Promise<PasswordHash> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, cost, KEY_BYTES);
  return { algorithm: 'scrypt', N: cost.N, r: cost.r, p: cost.p, salt: salt.toString('base64'), key: key.toString('base64') };
}

/** Whether `password` is the one `stored` was made from; compares in constant time. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.key, 'base64');
  const given = await derive(password, Buffer.from(stored.salt, 'base64'), stored, expected.length);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const within = (value: unknown, max: number): boolean => typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= max;

/** Whether `value` is a stored {@link PasswordHash} this server can check against. */
export function isPasswordHash(value: unknown): value is PasswordHash {
  if (typeof value !== 'object' || value === null) return false;
  const h = value as Record<string, unknown>;
  return (
    h.algorithm === 'scrypt' &&
    within(h.N, MAX_N) &&
    // scrypt's N must be a power of two above 1.
    (h.N as number) > 1 &&
    ((h.N as number) & ((h.N as number) - 1)) === 0 &&
    within(h.r, MAX_R) &&
    within(h.p, MAX_P) &&
    typeof h.salt === 'string' &&
    typeof h.key === 'string' &&
    Buffer.from(h.key, 'base64').length >= 16
  );
}
