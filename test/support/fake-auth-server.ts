import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A hostile auth endpoint on 127.0.0.1: `POST /auth/login` answers 200 with whatever body the
 * test queued (a hostile user id, a malformed answer), and counts the logins. The sync socket
 * is refused, so sessions against it stay disconnected and never get a server's word.
 */
export class FakeAuthServer {
  private http!: Server;
  url = '';
  logins = 0;
  /** The next login answers this (JSON-encoded). */
  answer: unknown = {};

  async start(): Promise<this> {
    this.http = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/auth/login') {
          this.logins++;
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.answer));
          return;
        }
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not here' }));
      });
    });
    this.http.on('upgrade', (_req, socket) => socket.destroy());
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}
