import type { App } from './app.js';
import { AuthRefusedError, requestRefresh, tokenExpiry, type Tokens } from './auth-client.js';
import type { AuthNodes } from './auth-nodes.js';
import { checkedHttpHeaders, httpHeadersKey } from './http-headers.js';

/** What a user's sessions hear from it. */
export interface UserListener {
  loggedOut(): void;
  loggedIn(): void;
}

/** A logged-in user of an `App`. */
export class User {
  readonly id: string;
  private access!: string;
  /** The access token's claimed expiry, read once per token (every session asks at every open). */
  private accessExpiry: number | undefined;
  private refresh: string;
  private loggedIn = true;
  private readonly listeners = new Set<UserListener>();
  /** The refreshes in flight, by the canonical form of the headers they carry. */
  private readonly refreshing = new Map<string, Promise<string>>();

  /** @internal Made by `App.logIn`. */
  constructor(
    private readonly authNodes: AuthNodes,
    tokens: Tokens,
    private readonly now: () => number = Date.now,
    /** The app it logged in with (realm-js's `user.app`). */
    private readonly ownApp?: App,
  ) {
    this.id = tokens.userId;
    this.setAccess(tokens.accessToken);
    this.refresh = tokens.refreshToken;
  }

  /** The app this user logged in with. */
  get app(): App {
    if (this.ownApp === undefined) throw new TypeError('user.app: this user was not made by App.logIn');
    return this.ownApp;
  }

  get isLoggedIn(): boolean {
    return this.loggedIn;
  }

  /** The current access token (what BIND carries). */
  get accessToken(): string {
    return this.access;
  }

  /** True when the access token has expired (or will within a second) by its own claim. */
  get accessTokenExpired(): boolean {
    const exp = this.accessExpiry;
    return exp !== undefined && exp - 1_000 <= this.now();
  }

  /**
   * Gets a new access token. A refusal by the server (401/403) logs the user out and rejects
   * with `{ refused: true }`, unless the request carried custom headers: then it rejects so for
   * the sessions that asked, and the user stays logged in (a gateway refusing one realm's
   * headers is that realm's configuration, not the end of the user's other sessions); a network failure at every node rejects with `{ refused: false }`
   * (one node down is no failure: the next one is asked). The request carries `headers` (the
   * asking session's `customHttpHeaders`, canonical): concurrent calls with equal headers share
   * one request, and calls with other headers send their own, so that each request carries
   * the headers of a session that asked for it. Headers a session would refuse throw a `TypeError`.
   */
  refreshAccessToken(given: Readonly<Record<string, string>> = {}): Promise<string> {
    const headers = checkedHttpHeaders('refreshAccessToken', 'headers', given);
    if (!this.loggedIn) return Promise.reject({ refused: true, message: 'the user is logged out' });
    const key = httpHeadersKey(headers);
    const inFlight = this.refreshing.get(key);
    if (inFlight !== undefined) return inFlight;
    const refreshing = this.authNodes.request((baseUrl, transport) => requestRefresh(transport, baseUrl, this.refresh, headers))
      .then((token) => {
        this.setAccess(token);
        return token;
      })
      .catch((error: unknown) => {
        if (error instanceof AuthRefusedError) {
          // The session that asked hears the refusal (and reports it) before the logout
          // reaches every session of the user. With custom headers the refusal may be a
          // gateway's answer to those headers: only the sessions that sent them stop.
          if (Object.keys(headers).length === 0) setImmediate(() => this.logOut());
          throw { refused: true, message: Object.keys(headers).length === 0 ? error.message : `${error.message} (the refresh carried sync.customHttpHeaders: the user stays logged in; sessions without them refresh on their own)` };
        }
        throw { refused: false, message: error instanceof Error ? error.message : String(error) };
      })
      .finally(() => {
        this.refreshing.delete(key);
      });
    this.refreshing.set(key, refreshing);
    return refreshing;
  }

  /** @internal The same user logged in again (`App.logIn`): fresh tokens, and its sessions may sync. */
  relogIn(tokens: Tokens): void {
    this.setAccess(tokens.accessToken);
    this.refresh = tokens.refreshToken;
    this.loggedIn = true;
    // Every login counts: it revives a session left inactive, logged out or not (docs/SEMANTICS.md §1.6).
    for (const listener of [...this.listeners]) listener.loggedIn();
  }

  private setAccess(token: string): void {
    this.access = token;
    this.accessExpiry = tokenExpiry(token);
  }

  /** Logs out: every session of the user goes `inactive` and its waits reject. */
  logOut(): void {
    if (!this.loggedIn) return;
    this.loggedIn = false;
    for (const listener of [...this.listeners]) listener.loggedOut();
  }

  /** @internal Sessions listen for the logout. */
  listen(listener: UserListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  toString(): string {
    return `User(${this.id}${this.loggedIn ? '' : ', logged out'})`;
  }
}
