import { requestLogin } from './auth-client.js';
import { AuthNodes } from './auth-nodes.js';
import { resolveAppConfig, type AppConfig, type ResolvedAppConfig } from './app-config.js';
import { Credentials } from './credentials.js';
import { SyncManager } from './sync-manager.js';
import { User } from './user.js';

/** A client of one sync server: logs users in and runs their sessions. */
export class App {
  readonly config: ResolvedAppConfig;
  readonly syncManager: SyncManager;
  /** Where logins and its users' refreshes go: the node that answered last first. */
  private readonly authNodes: AuthNodes;
  private readonly users = new Map<string, User>();
  /** The users in the order they last logged in (one entry each). */
  private readonly loginOrder: User[] = [];
  private closed = false;

  /**
   * Checks the configuration (a `TypeError` names a bad field) and runs pending error actions;
   * opens no file or sync socket yet (only the inspector's relay link, if `inspect` names one).
   */
  constructor(config: AppConfig) {
    this.config = resolveAppConfig(config);
    this.authNodes = new AuthNodes(this.config.baseUrls, this.config.authTransport, this.config.userAgent);
    this.syncManager = new SyncManager(this.config);
    // Error actions an earlier run reported and nobody ran (docs/SEMANTICS.md §5.6) run now, before any file opens.
    this.syncManager.runPendingActions();
  }

  /**
   * Logs in with `credentials` at the server's `/auth/login`; with several nodes, at the first
   * that answers (a refusal from one is final: docs/SEMANTICS.md §2.8).
   */
  async logIn(credentials: Credentials): Promise<User> {
    if (this.closed) throw new Error('App.logIn: the app is closed');
    if (!(credentials instanceof Credentials)) throw new TypeError('App.logIn: credentials must come from Credentials.anonymous() or Credentials.emailPassword()');
    const tokens = await this.authNodes.request((baseUrl, transport) => requestLogin(transport, baseUrl, credentials.body));
    // The same identity is the same User object, as in the Realm SDKs: its sessions revive.
    const known = this.users.get(tokens.userId);
    if (known !== undefined) {
      known.relogIn(tokens);
      this.loggedInLast(known);
      return known;
    }
    const user = new User(this.authNodes, tokens, () => this.config.clock.now(), this);
    this.users.set(user.id, user);
    this.loggedInLast(user);
    return user;
  }

  /**
   * The user who logged in last and is still logged in (realm-js's `currentUser`); `null` when
   * nobody is. A logout makes the one before current again.
   */
  get currentUser(): User | null {
    for (let i = this.loginOrder.length - 1; i >= 0; i--) if (this.loginOrder[i]!.isLoggedIn) return this.loginOrder[i]!;
    return null;
  }

  /** Every user this app logged in, by id, logged out ones included (realm-js's `allUsers`). */
  get allUsers(): Readonly<Record<string, User>> {
    return Object.freeze(Object.fromEntries(this.users));
  }

  private loggedInLast(user: User): void {
    const at = this.loginOrder.indexOf(user);
    if (at >= 0) this.loginOrder.splice(at, 1);
    this.loginOrder.push(user);
  }

  /** Closes every socket and store of this app. */
  close(): void {
    this.closed = true;
    this.syncManager.close();
    this.config.stopInspect();
  }

  /** @internal The app `user` logged in with (`user.app`; only `logIn` makes users with one). */
  static of(user: User): App {
    if (!(user instanceof User)) throw new TypeError('Realm.open: sync.user must be a User from app.logIn');
    try {
      return user.app;
    } catch {
      throw new TypeError('Realm.open: sync.user must be a User from app.logIn');
    }
  }
}
