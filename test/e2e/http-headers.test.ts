/**
 * What is sent (issue 16, item 5), read where the server reads it: a 127.0.0.1 listener in front
 * of a real server records each request's headers and passes the request on unchanged. The
 * `User-Agent` names the library and its version (extended by `App({ userAgent })`) on login,
 * refresh and the sync upgrade; `sync.customHttpHeaders` go on the upgrade and on the refresh
 * the session asks for; sessions of a user share a socket only when their headers are equal
 * (docs/SEMANTICS.md §2.1).
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Credentials, Realm } from '../../src/index.js';
import { startHeaderRecorder, type HeaderRecorder, type RecordedRequest } from '../support/header-recorder.js';
import { eventually, Harness } from './harness.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const library = `sync-session/${version} (Node ${process.versions.node})`;

let h: Harness;
let recorder: HeaderRecorder | undefined;
afterEach(async () => {
  await recorder?.close();
  recorder = undefined;
  await h.close();
});

const upgrades = (): RecordedRequest[] => recorder!.requests.filter((r) => r.kind === 'upgrade');
const posts = (path: string): RecordedRequest[] => recorder!.requests.filter((r) => r.kind === 'http' && r.path === path);

describe('what the client sends, as the server reads it', () => {
  it('login, refresh and the upgrade carry the User-Agent with App({ userAgent }); the upgrade and the refresh carry the session\'s customHttpHeaders', async () => {
    // The server's clock runs two hours behind at login: the token it issues has expired by the
    // client's clock, so opening the realm asks for a refresh first.
    let serverOffset = -2 * 3_600_000;
    h = await new Harness().start({ now: () => Date.now() + serverOffset });
    recorder = await startHeaderRecorder(h.server.url);
    const app = h.app({ baseUrl: recorder.url, userAgent: 'acme-notes/2.1 (build 7)' });
    const user = await app.logIn(Credentials.anonymous());
    serverOffset = 0;
    const headers: Record<string, string> = { 'X-Tenant': 'acme', 'x-trace-id': 'trace 1' };
    const realm = await Realm.open({ sync: { user, partition: 'p', customHttpHeaders: headers } });
    const session = realm.syncSession!;
    await eventually(() => session.connectionState === 'connected', 'connected');

    const userAgent = `${library} acme-notes/2.1 (build 7)`;
    const [login] = posts('/auth/login');
    expect(login?.headers['user-agent']).toBe(userAgent);
    expect(login?.headers['x-tenant']).toBeUndefined();
    const [refresh] = posts('/auth/refresh');
    expect(refresh?.headers).toMatchObject({ 'user-agent': userAgent, 'x-tenant': 'acme', 'x-trace-id': 'trace 1', 'content-type': 'application/json' });
    expect(upgrades()).toHaveLength(1);
    expect(upgrades()[0]!.headers).toMatchObject({ 'user-agent': userAgent, 'x-tenant': 'acme', 'x-trace-id': 'trace 1', 'sec-websocket-protocol': expect.any(String) });

    // A copy was taken at open: changing the object later changes no upgrade.
    headers['X-Tenant'] = 'evil';
    expect(session.configuration()?.customHttpHeaders).toEqual({ 'x-tenant': 'acme', 'x-trace-id': 'trace 1' });
    expect(Object.isFrozen(session.configuration()?.customHttpHeaders)).toBe(true);
    session.pause();
    await eventually(() => h.server.sockets().length === 0, 'the socket closed after its linger');
    session.resume();
    await eventually(() => session.connectionState === 'connected', 'connected again');
    expect(upgrades()).toHaveLength(2);
    expect(upgrades()[1]!.headers['x-tenant']).toBe('acme');
    realm.close();
  });

  it('a gateway refusing one realm\'s headers on a refresh stops that realm\'s session only: the user stays logged in, its other sessions sync', async () => {
    let serverOffset = -2 * 3_600_000;
    h = await new Harness().start({ now: () => Date.now() + serverOffset });
    recorder = await startHeaderRecorder(h.server.url, { refuse: (r) => (r.path === '/auth/refresh' && r.headers['x-tenant'] === 'typo' ? 403 : undefined) });
    const app = h.app({ baseUrl: recorder.url });
    // Its token has expired by the client's clock: both opens refresh first.
    const user = await app.logIn(Credentials.anonymous());
    serverOffset = 0;
    const errors: string[] = [];
    const wrong = await Realm.open({ sync: { user, partition: 'a', customHttpHeaders: { 'x-tenant': 'typo' }, onError: (_s, e) => void errors.push(`${e.code} ${e.category}`) } });
    const right = await Realm.open({ sync: { user, partition: 'b', customHttpHeaders: { 'x-tenant': 'acme' } } });
    await eventually(() => wrong.syncSession!.state === 'inactive', 'the refused session stopped');
    expect(errors).toEqual(['refreshRefused auth']);
    await eventually(() => right.syncSession!.connectionState === 'connected', 'the other session connected');
    right.write((tx) => tx.put('Task', 't', { n: 1 }));
    await right.syncSession!.waitForUpload(AbortSignal.timeout(5_000));
    expect(user.isLoggedIn).toBe(true);
    expect(right.syncSession!.state).toBe('active');
    wrong.close();
    right.close();
  });

  it('refreshes asked for at once with equal headers share one request; with other headers each goes with its own', async () => {
    h = await new Harness().start();
    recorder = await startHeaderRecorder(h.server.url);
    const user = await h.app({ baseUrl: recorder.url }).logIn(Credentials.anonymous());
    const one = Object.freeze({ 'x-tenant': 'one' });
    const tokens = await Promise.all([user.refreshAccessToken(one), user.refreshAccessToken({ 'x-tenant': 'one' }), user.refreshAccessToken({ 'x-tenant': 'two' }), user.refreshAccessToken()]);
    expect(tokens.every((t) => typeof t === 'string' && t !== '')).toBe(true);
    const sent = posts('/auth/refresh').map((r) => r.headers['x-tenant'] ?? null).sort();
    expect(sent).toEqual([null, 'one', 'two']);
    expect(posts('/auth/refresh').every((r) => r.headers['user-agent'] === library)).toBe(true);
  });

  it('sessions of one user with different customHttpHeaders get a socket each, each upgrade with its own; equal ones (any case, any order) share one', async () => {
    h = await new Harness().start();
    recorder = await startHeaderRecorder(h.server.url);
    const app = h.app({ baseUrl: recorder.url });
    const user = await app.logIn(Credentials.anonymous());
    const a = await Realm.open({ sync: { user, partition: 'a', customHttpHeaders: { 'X-Tenant': 'one', 'X-Region': 'eu' } } });
    const b = await Realm.open({ sync: { user, partition: 'b', customHttpHeaders: { 'x-tenant': 'two' } } });
    const c = await Realm.open({ sync: { user, partition: 'c', customHttpHeaders: { 'x-region': 'eu', 'X-TENANT': 'one' } } });
    const plain = await Realm.open({ sync: { user, partition: 'd' } });
    const plainToo = await Realm.open({ sync: { user, partition: 'e', customHttpHeaders: {} } });
    const all = [a, b, c, plain, plainToo];
    await eventually(() => all.every((r) => r.syncSession!.connectionState === 'connected'), 'all connected');

    // Three sets of headers, three sockets: {tenant one, region eu} for a and c, {tenant two} for b, none for d and e.
    expect(h.sockets.get(app)).toBe(3);
    expect(h.server.sockets().map((s) => s.sessions).sort()).toEqual([1, 2, 2]);
    const seen = upgrades().map((u) => ({ ua: u.headers['user-agent'], tenant: u.headers['x-tenant'], region: u.headers['x-region'] }));
    expect(seen).toHaveLength(3);
    expect(seen).toEqual(
      expect.arrayContaining([
        { ua: library, tenant: 'one', region: 'eu' },
        { ua: library, tenant: 'two', region: undefined },
        { ua: library, tenant: undefined, region: undefined },
      ]),
    );

    // The path's session keeps the socket it joined: other headers for it are refused, equal ones are not.
    const again = await Realm.open({ path: a.path, sync: { user, partition: 'a', customHttpHeaders: { 'x-region': 'eu', 'x-tenant': 'one' } } });
    again.close();
    await expect(Realm.open({ path: a.path, sync: { user, partition: 'a', customHttpHeaders: { 'x-tenant': 'three' } } })).rejects.toThrow(
      /already synced with other sync\.customHttpHeaders/,
    );
    for (const realm of all) realm.close();
  });

  it('at most 8 sets of headers per user in an app, the 9th refused by name; a path whose session ended takes new headers', async () => {
    h = await new Harness().start();
    const app = h.app();
    const user = await app.logIn(Credentials.anonymous());
    const opened: Realm[] = [];
    for (let i = 0; i < 8; i++) opened.push(await Realm.open({ sync: { user, partition: `p${i}`, stopPolicy: 'immediately', customHttpHeaders: { 'x-tenant': `t${i}` } } }));
    await expect(Realm.open({ sync: { user, partition: 'p8', customHttpHeaders: { 'x-tenant': 't8' } } })).rejects.toThrow(
      new TypeError(`Realm.open: user ${user.id} already has 8 sets of sync.customHttpHeaders in this app, the most there may be (each is a socket of its own)`),
    );
    // A set already in use is no new socket: accepted.
    opened.push(await Realm.open({ sync: { user, partition: 'p9', customHttpHeaders: { 'x-tenant': 't3' } } }));
    // Closed with stopPolicy immediately, p0's session ends; reopened with another known set, it takes it.
    const path = opened[0]!.path;
    const ended = opened[0]!.syncSession!;
    opened[0]!.close();
    await eventually(() => ended.state === 'inactive', 'the closed session ended');
    const reopened = await Realm.open({ path, sync: { user, partition: 'p0', customHttpHeaders: { 'x-tenant': 't1' } } });
    expect(reopened.syncSession).not.toBe(ended);
    expect(reopened.syncSession!.configuration()!.customHttpHeaders).toEqual({ 'x-tenant': 't1' });
    await eventually(() => reopened.syncSession!.connectionState === 'connected', 'connected with the new headers');
    reopened.close();
    for (const realm of opened.slice(1)) realm.close();
  });
});
