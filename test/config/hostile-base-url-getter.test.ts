/**
 * Review (failover config, docs/SEMANTICS.md §2.8): `baseUrl` entries are read three times —
 * by the URL check, by the duplicate check, and when resolved to origins — so a list whose
 * entry is a getter passes the checks with one value and is used with another: a repeated
 * node, or an origin of "null" (`file:`), whose sync URL `ws` cannot parse (it throws, and the
 * connection dies: see test/e2e/failover-transport-throws.test.ts). Each entry must be read
 * once, and what is used must be what was checked.
 */
import { describe, expect, it } from 'vitest';
import { resolveAppConfig } from '../../src/client/app-config.js';

/** A list whose second entry is `checked` for its first `reads` reads and `used` after. */
function turning(checked: string, used: string, reads: number): string[] {
  let count = 0;
  const list = ['http://127.0.0.1:1'];
  Object.defineProperty(list, 1, { enumerable: true, get: () => (++count <= reads ? checked : used) });
  return list;
}

describe('baseUrl entries that change between the check and the use', () => {
  // One read as checked: the entry must be read exactly once in all; two: at most twice.
  for (const [used, reads] of [['http://127.0.0.1:1', 2], ['file:///etc/passwd', 2], ['http://127.0.0.1:1', 1], ['file:///etc/passwd', 1]] as const) {
    it(`an entry that turns into ${used} after ${reads} read(s) is refused or used as checked`, () => {
      let outcome: string;
      try {
        outcome = JSON.stringify(resolveAppConfig({ baseUrl: turning('http://127.0.0.1:2', used, reads), storageDir: '/nonexistent/review' }).baseUrls);
      } catch (error) {
        outcome = error instanceof TypeError ? 'refused' : `crashed: ${String(error)}`;
      }
      expect(['refused', JSON.stringify(['http://127.0.0.1:1', 'http://127.0.0.1:2'])]).toContain(outcome);
    });
  }
});
