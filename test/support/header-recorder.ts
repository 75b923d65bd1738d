import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** One request as it reached the recorder: what the server behind it then got, unchanged. */
export interface RecordedRequest {
  /** `http` for a plain request (auth), `upgrade` for a WebSocket handshake. */
  readonly kind: 'http' | 'upgrade';
  readonly path: string;
  /** Node's view of the request's headers: lower-case names. */
  readonly headers: IncomingHttpHeaders;
}

/** A 127.0.0.1 listener in front of a real server, recording each request's headers. */
export interface HeaderRecorder {
  /** Base URL to give `App({ baseUrl })` in place of the server's. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Starts a recorder in front of `target` (`http://host:port`): plain requests are forwarded with
 * their headers and the answer piped back; an upgrade is replayed byte for byte (request line,
 * raw headers, what followed them) to the target and the two sockets piped together. Nothing is
 * answered by the recorder itself, so what a test reads here is what the server read, unless
 * `refuse` names a status for a plain request: then it answers that, as a gateway would.
 */
export async function startHeaderRecorder(target: string, options: { readonly refuse?: (request: RecordedRequest) => number | undefined } = {}): Promise<HeaderRecorder> {
  const { hostname, port } = new URL(target);
  const requests: RecordedRequest[] = [];
  const tunnels = new Set<Duplex>();
  const server = createServer((req, res) => {
    const recorded: RecordedRequest = { kind: 'http', path: req.url ?? '', headers: req.headers };
    requests.push(recorded);
    // A gateway's own answer (a wrong tenant or key): the server never sees the request.
    const refusal = options.refuse?.(recorded);
    if (refusal !== undefined) {
      res.writeHead(refusal, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'refused by the gateway' }));
      req.resume();
      return;
    }
    const upstream = httpRequest({ host: hostname, port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    requests.push({ kind: 'upgrade', path: req.url ?? '', headers: req.headers });
    tunnels.add(socket);
    const upstream: Socket = connect(Number(port), hostname, () => {
      const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    tunnels.add(upstream);
    const end = () => {
      socket.destroy();
      upstream.destroy();
      tunnels.delete(socket);
      tunnels.delete(upstream);
    };
    socket.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: async () => {
      for (const tunnel of tunnels) tunnel.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
