import type { ClientMessage } from '../protocol/index.js';
import type { RealmFile } from '../store/realm-file.js';
import type { ConnectionMember, SharedConnection } from './shared-connection.js';

/** A client message of one binding, without the session number the binding adds. */
export type BindingMessage = ClientMessage extends infer M ? (M extends { readonly session: number } ? Omit<M, 'session'> : never) : never;

/**
 * One session's place on its user's shared connection: joining it, binding on each socket, and
 * leaving (UNBIND, then detach) — the one teardown, whether the chart leaves `syncing` or the
 * runtime lets go of the session. The session number lives in the connection, which forgets
 * it when the socket drops; this holds none.
 */
export class SessionBinding {
  constructor(
    private readonly member: ConnectionMember,
    private readonly connection: SharedConnection,
  ) {}

  /** The session joins the connection (the chart entered `syncing`). */
  join(): void {
    this.connection.attach(this.member);
  }

  /** BIND and IDENT on the socket that just opened: the partition, the token, and where the file stands. */
  bind(store: RealmFile, partition: string, token: string): void {
    const session = this.connection.bind(this.member);
    const { upload, download, epoch } = store.cursors;
    this.connection.send({ type: 'bind', session, partition, token });
    this.connection.send({
      type: 'ident',
      session,
      fileIdent: store.fileIdent,
      ...(epoch === undefined ? {} : { cursors: { epoch, upload, download } }),
    });
  }

  /** Sends `message` on the binding; false when there is none (the socket dropped or never bound). */
  send(message: BindingMessage): boolean {
    const session = this.connection.numberOf(this.member);
    if (session === undefined) return false;
    this.connection.send({ ...message, session } as ClientMessage);
    return true;
  }

  /** Skips the connection's reconnect delay. */
  reconnect(): void {
    this.connection.reconnect();
  }

  /** UNBIND if bound, then leave the connection; nothing when the session is not on it. */
  leave(): void {
    this.connection.unbind(this.member);
    this.connection.detach(this.member);
  }
}
