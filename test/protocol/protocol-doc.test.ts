import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clientCodecs, errorCodes, serverCodecs } from '../../src/protocol/index.js';

const doc = readFileSync(new URL('../../PROTOCOL.md', import.meta.url), 'utf8');

describe('PROTOCOL.md matches the codecs', () => {
  it('documents every message type of both directions with an example', () => {
    for (const type of [...Object.keys(clientCodecs), ...Object.keys(serverCodecs)]) {
      expect(doc, type).toContain(`{"type":"${type}"`);
    }
  });

  it('lists every error code with its category, fatality, retry and scope', () => {
    for (const [code, info] of Object.entries(errorCodes)) {
      const row = `| \`${code}\` | ${info.category} | ${info.isFatal ? 'yes' : 'no'} | ${info.tryAgain ? 'yes' : 'no'} | ${info.scope} |`;
      expect(doc, code).toContain(row);
    }
  });
});
