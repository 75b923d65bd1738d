/**
 * docs/SEMANTICS.md §2.8: which answers of a node send an auth request to the next node. A
 * 502/503/504 (the node down behind its gateway, or unable to serve) and an answer cut short are
 * no answer: the next node is asked, and the one that gave it is not where the next request
 * starts. Any other status is the node's word and final. Against fake nodes on 127.0.0.1, each
 * counting the requests it gets.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { requestLogin } from '../../src/client/auth-client.js';
import { AuthNodes } from '../../src/client/auth-nodes.js';
import { ServerUnreachableError } from '../../src/index.js';

const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** A fake node answering every request with `answer`; `asked()` counts the requests. */
async function node(answer: (res: ServerResponse, req: IncomingMessage) => void): Promise<{ url: string; asked: () => number }> {
  let asked = 0;
  const server = createServer((req, res) => {
    asked++;
    req.resume();
    req.on('end', () => answer(res, req));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, asked: () => asked };
}

const tokens = JSON.stringify({ userId: 'u', accessToken: 'a', refreshToken: 'r' });
const live = () => node((res) => res.writeHead(200, { 'content-type': 'application/json' }).end(tokens));
const status = (code: number, body = JSON.stringify({ error: `the node says ${code}` })) => node((res) => res.writeHead(code, { 'content-type': 'application/json' }).end(body));
/** Headers and the start of a 200 body, then the connection is cut: a node dying mid-answer. */
const cut = () =>
  node((res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(tokens.length + 100) });
    res.write(tokens.slice(0, 10), () => res.socket?.destroy());
  });

const login = (nodes: AuthNodes) => nodes.request((baseUrl, transport) => requestLogin(transport, baseUrl, { provider: 'anonymous' }));

describe('auth failover on what a node answers', () => {
  const noAnswers: [string, () => ReturnType<typeof node>][] = [
    ['502 from a gateway (an HTML page)', () => status(502, '<html><body>502 Bad Gateway</body></html>')],
    ['503 (the login limiter cannot check its windows)', () => status(503)],
    ['504 from a gateway', () => status(504, '')],
    ['a 200 cut short', cut],
  ];
  for (const [what, make] of noAnswers) {
    it(`${what} is no answer: the next node is asked, and the next request starts there`, async () => {
      const [bad, good] = [await make(), await live()];
      const nodes = new AuthNodes([bad.url, good.url]);
      const first = await login(nodes);
      const second = await login(nodes);
      expect({ first: first.userId, second: second.userId, badAsked: bad.asked(), goodAsked: good.asked() }).toEqual({ first: 'u', second: 'u', badAsked: 1, goodAsked: 2 });
    });
  }

  for (const code of [400, 429, 500]) {
    it(`${code} is that node's word: final, the next node is not asked`, async () => {
      const [bad, good] = [await status(code), await live()];
      const failure: unknown = await login(new AuthNodes([bad.url, good.url])).catch((e: unknown) => e);
      expect({ unreachable: failure instanceof ServerUnreachableError, message: String(failure), goodAsked: good.asked() }).toEqual({
        unreachable: false,
        message: expect.stringContaining(`answered ${code}`),
        goodAsked: 0,
      });
    });
  }

  it('every node answering 503 rejects with the last one\'s ServerUnreachableError, its status and word', async () => {
    const [a, b] = [await status(503), await status(503)];
    const failure: unknown = await login(new AuthNodes([a.url, b.url])).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ServerUnreachableError);
    const error = failure as ServerUnreachableError;
    expect({ url: error.url, status: error.status, message: error.message, asked: [a.asked(), b.asked()] }).toEqual({
      url: `${b.url}/auth/login`,
      status: 503,
      message: `cannot reach ${b.url}/auth/login: it answered 503 (the node says 503)`,
      asked: [1, 1],
    });
  });
});
