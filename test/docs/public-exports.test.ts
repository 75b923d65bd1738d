/**
 * What a user's code must name is exported: the program below is a user's, importing each name
 * from `sync-session` (and `sync-session/server`) as installed (`user-project.ts`: built
 * package, package.json `exports`, strict NodeNext). Types are checked by compiling it, with
 * `@ts-expect-error` lines so that a type exported as `any` fails too; classes by catching what
 * the public API really throws and testing it with `instanceof` against the exported class.
 *
 * The program is a string, not a .ts file in test/, because the repository's own type check
 * would resolve `sync-session` to its own (unbuilt) dist/.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { runToExit } from './run-to-exit.js';
import { userProject } from './user-project.js';

const userCode = `
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  App, AuthRefusedError, Credentials, FileLockedError, InvalidActionTokenError, InvalidInputError, Realm, SyncError,
  SyncSession, TransactionStateError, clientErrorCodes, errorCodes, fetchAuthTransport, isClientErrorCode, isErrorCode, isSyncErrorCode, silentLogger,
  type AuthTransport, type ClientErrorCode, type ErrorCode, type SyncErrorCode, type DocumentKey, type ErrorActionRunner, type InspectObserver, type Json, type KeepaliveOptions, type Logger,
  type RealmChange, type ReconnectOptions, type ResolvedAppConfig, type SyncErrorInfo, type Transaction,
} from 'sync-session';
import {
  FileLockedError as ServerFileLockedError, startServer, startServerCore,
  type AuthAnswer, type ServerCore, type ServerSocket, type ServerSocketHandlers,
} from 'sync-session/server';

const dir = mkdtempSync(join(tmpdir(), 'user-exports-'));
const results: Record<string, boolean> = {};
const server = await startServer({ dataDir: join(dir, 'server'), users: [{ email: 'ann@example.com', password: 'secret' }], logger: silentLogger });
try {
  const logger: Logger = { info: () => undefined, warn: () => undefined };
  const reconnect: ReconnectOptions = { initialDelayMs: 10, maxDelayMs: 100, multiplier: 2 };
  const keepalive: KeepaliveOptions = { pingIntervalMs: 60_000, pongTimeoutMs: 120_000 };
  const inspected: string[] = [];
  const inspect: InspectObserver = (event) => void inspected.push(event.type);
  const authTransport: AuthTransport = fetchAuthTransport;
  const app = new App({ baseUrl: server.url, storageDir: join(dir, 'local'), logger, reconnect, keepalive, inspect, authTransport });
  const config: ResolvedAppConfig = app.config;
  results.resolvedAppConfig = config.reconnect.initialDelayMs === 10;

  try {
    await app.logIn(Credentials.emailPassword('ann@example.com', 'wrong'));
  } catch (error) {
    results.authRefusedError = error instanceof AuthRefusedError && error.status === 401;
  }
  const user = await app.logIn(Credentials.emailPassword('ann@example.com', 'secret'));
  const realm = await Realm.open({ sync: { user, partition: 'p' } });
  results.inspectObserver = inspected.length > 0;

  const changes: RealmChange[] = [];
  realm.addListener((change: RealmChange) => void changes.push(change));
  const fields: { readonly [key: string]: Json } = { title: 'x', tags: ['a', null, 1, { deep: true }] };
  // @ts-expect-error a Date is not Json
  const notJson: Json = new Date();
  void notJson;
  let kept: Transaction | undefined;
  realm.write((tx: Transaction) => {
    tx.put('Task', 't1', fields);
    kept = tx;
  });
  // Never called: only the compiler looks at it.
  const typeOnly = (tx: Transaction): void => {
    // @ts-expect-error a Transaction has put and delete only
    tx.upsert('Task', 't1', fields);
  };
  void typeOnly;
  const key: DocumentKey | undefined = changes[0]?.changed[0];
  // @ts-expect-error origin is 'local' | 'remote'
  const origin: 'elsewhere' | undefined = changes[0]?.origin;
  void origin;
  results.realmChange = key?.type === 'Task' && key.id === 't1' && changes[0]?.origin === 'local';

  try {
    kept?.put('Task', 't2', fields);
  } catch (error) {
    results.transactionStateError = error instanceof TransactionStateError;
  }
  try {
    realm.write((tx) => tx.put('', 't3', fields));
  } catch (error) {
    results.invalidInputError = error instanceof InvalidInputError;
  }
  try {
    await Realm.open({ path: realm.path });
  } catch (error) {
    results.fileLockedError = error instanceof FileLockedError && error.path === realm.path;
    results.oneFileLockedErrorClass = error instanceof ServerFileLockedError;
  }

  const runner: ErrorActionRunner = app.syncManager;
  try {
    SyncSession.immediatelyHandleError({ action: 'deleteLocalFile', realmPath: realm.path }, runner);
  } catch (error) {
    results.errorActionRunner = error instanceof InvalidActionTokenError;
  }
  const info: SyncErrorInfo = { code: 'permissionDenied', category: 'permission', isFatal: true, message: 'no' };
  results.syncErrorInfo = new SyncError(info).toInfo().code === 'permissionDenied';
  const code: SyncErrorCode = new SyncError(info).code;
  const serverCode: ErrorCode = 'permissionDenied';
  const clientCode: ClientErrorCode = 'localStorageFailed';
  // @ts-expect-error a SyncError's code is a code of one of the tables
  const madeUp: SyncErrorCode = 'madeUp';
  void madeUp;
  results.errorCodes =
    isErrorCode(code) && code === serverCode && errorCodes[serverCode].category === 'permission' &&
    isClientErrorCode(clientCode) && clientErrorCodes[clientCode].category === 'session' && isSyncErrorCode(clientCode) && !isSyncErrorCode('madeUp');

  realm.close();
  app.close();

  const core: ServerCore = await startServerCore({ dataDir: join(dir, 'core'), logger: silentLogger });
  try {
    const answer: AuthAnswer = await core.answerAuth({ method: 'POST', path: '/auth/login', headers: {}, body: JSON.stringify({ provider: 'anonymous' }), remoteAddress: '127.0.0.1' });
    results.serverCore = answer.status === 200;
    let heard: ServerSocketHandlers | undefined;
    const socket: ServerSocket = {
      listen: (handlers) => void (heard = handlers),
      send: () => undefined,
      close: () => undefined,
      terminate: () => undefined,
      bufferedAmount: 0,
      isOpen: true,
      pause: () => undefined,
      resume: () => undefined,
      isPaused: false,
      remoteAddress: '127.0.0.1',
    };
    core.accept(socket);
    results.serverSocket = heard !== undefined;
  } finally {
    await core.close();
  }
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(results));
`;

const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

it('a user imports each name its code needs from the package, and each is what the API uses', async () => {
  const project = await userProject('exports-check', new Map([['exports', userCode]]));
  expect(project.check.output, `tsc -p ${project.dir}`).toBe('');
  const exit = await runToExit(join(project.outDir, 'exports.js'), project.dir, 60_000, (child) => children.add(child));
  expect(exit.killed, 'it did not exit by itself').toBe(false);
  expect(exit.code, exit.stderr).toBe(0);
  const results: unknown = JSON.parse(exit.stdout);
  const names = [
    'resolvedAppConfig',
    'authRefusedError',
    'inspectObserver',
    'realmChange',
    'transactionStateError',
    'invalidInputError',
    'fileLockedError',
    'oneFileLockedErrorClass',
    'errorActionRunner',
    'syncErrorInfo',
    'errorCodes',
    'serverCore',
    'serverSocket',
  ];
  expect(results).toEqual(Object.fromEntries(names.map((name) => [name, true])));
});
