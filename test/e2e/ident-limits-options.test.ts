/**
 * The server names `maxMessageBytes` and `maxClockSkewMs` in every IDENT, where the client's
 * codec takes only whole numbers within the safe integers. A server started with a fraction (or
 * a number past 2^53) there used to start, and then every session of every client failed as a
 * fatal `badServerMessage` at its IDENT: such values are a TypeError at `startServer` now.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/index.js';
import { Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('options named in IDENT are whole numbers', () => {
  it('a fractional or unsafe maxMessageBytes / maxClockSkewMs is a TypeError naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ident-options-'));
    let refused = 0;
    try {
      for (const field of ['maxMessageBytes', 'maxClockSkewMs'] as const) {
        for (const bad of [1_000_000.5, 2 ** 53, 1e300]) {
          let outcome: unknown;
          try {
            // A server that starts anyway is closed at once: nothing is left listening.
            await (await startServer({ dataDir: dir, port: 0, [field]: bad })).close();
            outcome = 'started';
          } catch (error) {
            outcome = error;
          }
          expect(outcome).toBeInstanceOf(TypeError);
          expect(String(outcome)).toMatch(new RegExp(`${field}.*whole`));
          refused++;
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(`IDENT options: ${refused} fractional or unsafe values refused at startServer`);
  });

  it('a whole maxMessageBytes and maxClockSkewMs sync as before', async () => {
    h = await new Harness().start({ maxMessageBytes: 1_000_000, maxClockSkewMs: 90_000 });
    const a = await h.client('p');
    a.realm.write((tx) => tx.put('Task', 't', { n: 1 }));
    await a.realm.syncSession!.waitForUpload(AbortSignal.timeout(10_000));
    expect(a.errors).toEqual([]);
  });
});
