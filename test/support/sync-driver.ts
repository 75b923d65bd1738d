import { WebSocket } from 'ws';
import { decodeServerMessage, encodeMessage, type ClientMessage, type ErrorMessage, type ServerMessage } from '../../src/protocol/index.js';
import { SUBPROTOCOL } from '../../src/server/index.js';
import type { RealmFile } from '../../src/store/realm-file.js';

/**
 * A thin client for data-plane tests: one session of one realm file over a real socket. It
 * does what the session runtime will do with the protocol (bind, ident with the file's cursors,
 * upload what is pending, integrate downloads, MARK round trips) and nothing of its state
 * machine. Every wait is bounded.
 */
export class SyncDriver {
  readonly errors: ErrorMessage[] = [];
  private socket: WebSocket | undefined;
  private identified = false;
  private sentThrough = 0;
  private marks = new Map<string, () => void>();
  private markCounter = 0;
  private changed: Array<() => void> = [];

  constructor(
    readonly realm: RealmFile,
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly partition: string,
  ) {}

  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN && this.identified;
  }

  /** Opens the socket, binds and identifies; resolves once the server answered IDENT. */
  async connect(): Promise<void> {
    const socket = new WebSocket(`${this.baseUrl.replace(/^http/, 'ws')}/sync`, SUBPROTOCOL);
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.on('message', (data: Buffer) => this.receive(data.toString('utf8')));
    socket.on('close', () => {
      this.identified = false;
      this.wake();
    });
    socket.on('error', () => {});
    const { upload, download, epoch } = this.realm.cursors;
    this.send({ type: 'bind', session: 1, partition: this.partition, token: this.token });
    this.send({
      type: 'ident',
      session: 1,
      fileIdent: this.realm.fileIdent,
      ...(epoch === undefined ? {} : { cursors: { epoch, upload, download } }),
    });
    this.sentThrough = upload.clientVersion;
    await this.until(() => this.identified, 'IDENT');
  }

  /** Sends every local changeset the server has not been sent on this socket. */
  upload(): void {
    if (!this.connected) return;
    const changesets = this.realm.pendingChangesets(this.sentThrough);
    if (changesets.length === 0) return;
    this.sentThrough = changesets[changesets.length - 1]!.clientVersion;
    this.send({
      type: 'upload',
      session: 1,
      changesets,
      progress: { clientVersion: this.sentThrough, serverVersion: this.realm.cursors.download.serverVersion },
    });
  }

  /** Uploads everything, then waits until it is acknowledged and a MARK round trip has passed. */
  async syncAll(timeoutMs = 10_000): Promise<void> {
    this.upload();
    await this.until(() => this.realm.cursors.upload.clientVersion >= this.realm.clientVersion, 'upload acknowledgement', timeoutMs);
    const requestId = `m${++this.markCounter}`;
    const answered = new Promise<void>((resolve) => this.marks.set(requestId, resolve));
    this.send({ type: 'mark', session: 1, requestId });
    await Promise.race([answered, this.until(() => false, `MARK ${requestId}`, timeoutMs)]);
  }

  /** Drops the socket without UNBIND, as a network failure would. */
  drop(): void {
    this.socket?.terminate();
    this.identified = false;
  }

  close(): void {
    this.socket?.close();
    this.identified = false;
  }

  private receive(frame: string): void {
    const decoded = decodeServerMessage(frame);
    if (decoded._tag === 'Left') throw new Error(`bad frame from server: ${decoded.left.message}`);
    this.handle(decoded.right);
    this.wake();
  }

  private handle(message: ServerMessage): void {
    switch (message.type) {
      case 'ident':
        if (this.realm.cursors.epoch !== message.epoch) this.realm.setEpoch(message.epoch);
        this.identified = true;
        return;
      case 'download':
        this.realm.integrateDownload(message.changesets, message.cursors, message.downloadableBytes);
        if (message.uploadAck > this.realm.cursors.upload.clientVersion) this.realm.acknowledgeUpload(message.uploadAck);
        return;
      case 'state':
        this.realm.integrateState(message.documents, message.downloadableBytes);
        return;
      case 'mark':
        this.marks.get(message.requestId)?.();
        this.marks.delete(message.requestId);
        return;
      case 'error':
        this.errors.push(message);
        return;
      default:
        return;
    }
  }

  private send(message: ClientMessage): void {
    this.socket?.send(encodeMessage(message, 'client'));
  }

  private wake(): void {
    for (const wake of this.changed.splice(0)) wake();
  }

  private async until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; errors: ${JSON.stringify(this.errors)}`);
      if (this.socket?.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting for ${what}; errors: ${JSON.stringify(this.errors)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1_000));
        this.changed.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
