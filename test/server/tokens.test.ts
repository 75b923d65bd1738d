import { describe, expect, it } from 'vitest';
import { TokenIssuer } from '../../src/server/tokens.js';

const secret = 'x'.repeat(64);

describe('TokenIssuer', () => {
  it('answers a remembered token as a first check would, at every moment around its expiry', async () => {
    let now = 1_700_000_000_000;
    const issuer = new TokenIssuer(secret, 10_000, 60_000, () => now);
    const token = await issuer.access('u1');
    const start = now;
    const first = await issuer.check(token, 'access');
    expect(first).toMatchObject({ ok: true, userId: 'u1' });
    // Each moment is checked twice by the remembering issuer (remembered from the first) and
    // once by a fresh issuer, which verifies the signature with jose.
    for (let offset = 0; offset <= 12_000; offset += 250) {
      now = start + offset;
      const fresh = await new TokenIssuer(secret, 10_000, 60_000, () => now).check(token, 'access');
      const remembered = await issuer.check(token, 'access');
      expect(remembered, `at +${offset} ms`).toEqual(fresh);
      if (!fresh.ok) expect(fresh.reason).toBe('expired');
    }
    expect(await issuer.check(token, 'access')).toEqual({ ok: false, reason: 'expired' });
  });

  it('never takes a remembered token for the other kind, nor a forged one for a remembered one', async () => {
    const issuer = new TokenIssuer(secret, 60_000, 60_000);
    const access = await issuer.access('u1');
    expect(await issuer.check(access, 'access')).toMatchObject({ ok: true });
    expect(await issuer.check(access, 'refresh')).toEqual({ ok: false, reason: 'invalid' });
    const [header, payload, signature] = access.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: 'u2', exp: 9_999_999_999 })).toString('base64url')}.${signature}`;
    expect(payload).not.toBe(forged.split('.')[1]);
    expect(await issuer.check(forged, 'access')).toEqual({ ok: false, reason: 'invalid' });
    expect(await new TokenIssuer('y'.repeat(64), 60_000, 60_000).check(access, 'access')).toEqual({ ok: false, reason: 'invalid' });
  });
});
