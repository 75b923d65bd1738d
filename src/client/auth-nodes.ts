import type { NonEmptyList } from '../../machines/connection.machine.js';
import type { AuthTransport } from '../transport/auth-transport.js';
import { fetchAuthTransport } from '../transport/fetch-auth-transport.js';
import { ServerUnreachableError } from './errors.js';
import { libraryUserAgent } from './http-headers.js';

/**
 * The base URLs auth requests (login, refresh) go to, shared by an app and its users
 * (docs/SEMANTICS.md §2.8). A request starts at the node that last answered and moves to the
 * next only when a node gives no answer ({@link ServerUnreachableError}: refused, reset,
 * unresolvable, 15 s of silence, an answer cut short, or 502/503/504 from the node or its
 * gateway); such a node does not become the one the next request starts at. Any other HTTP
 * answer is that node's word and is final: a 401 from one node is not asked of the others,
 * which share its users and would only say it again.
 */
export class AuthNodes {
  /** Index of the node that answered last: the next request starts there. */
  private current = 0;
  /** `transport` with the `user-agent` on every request. */
  private readonly sender: AuthTransport;

  /**
   * `transport` sends every auth request of the app and its users (`AppConfig.authTransport`),
   * each with `userAgent` as its `user-agent` header (the library's own by default).
   */
  constructor(
    readonly baseUrls: NonEmptyList<string>,
    readonly transport: AuthTransport = fetchAuthTransport,
    readonly userAgent: string = libraryUserAgent(),
  ) {
    this.sender = { request: (request) => transport.request({ ...request, headers: { ...request.headers, 'user-agent': userAgent } }) };
  }

  /**
   * `call` on the base URL of each node in turn (with the transport to send by), until one answers (resolves, or rejects with
   * anything but {@link ServerUnreachableError}). When none does, rejects with the
   * `ServerUnreachableError` of the last node tried. Each node is tried at most once.
   */
  async request<T>(call: (baseUrl: string, transport: AuthTransport) => Promise<T>): Promise<T> {
    const count = this.baseUrls.length;
    const start = this.current;
    let unreachable: ServerUnreachableError | undefined;
    for (let i = 0; i < count; i += 1) {
      const index = (start + i) % count;
      try {
        const result = await call(this.baseUrls[index]!, this.sender);
        this.current = index;
        return result;
      } catch (error) {
        if (!(error instanceof ServerUnreachableError)) {
          this.current = index;
          throw error;
        }
        unreachable = error;
      }
    }
    throw unreachable!;
  }
}
