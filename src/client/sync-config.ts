import { checkOpenBehavior, openBehaviorSchema, type OpenRealmBehaviorConfiguration } from './open-behavior.js';
import type { ClientResetMode, StopPolicy } from '../../machines/types.js';
import type { Json } from '../protocol/json.codec.js';
import type { SyncError } from './errors.js';
import type { SyncSession } from './sync-session.js';
import { bool, custom, describeValue, func, obj, oneOf, validateOptions, type OptionSchema } from '../config/option-schema.js';
import { keyProblem } from '../protocol/keys.js';
import { MAX_PARTITION_BYTES } from '../protocol/limits.js';
import { User } from './user.js';
import { checkedHttpHeaders, customHttpHeadersSchema } from './http-headers.js';

/** Every visible document of a realm at one moment, by type: what reset callbacks read. */
export type DocumentsSnapshot = Readonly<Record<string, ReadonlyArray<{ readonly id: string; readonly fields: Readonly<Record<string, Json>> }>>>;

/**
 * Client reset handling (docs/SEMANTICS.md §5). `onBefore` sees the documents as they were;
 * `onAfter` sees them before and after, and whether unsynced changes were recovered. `after`
 * is the realm once the server's fresh state is downloaded and integrated (with the recovered
 * local changes on it in recover mode), as in the Realm SDKs. An exception in either turns the
 * reset into `manual`.
 */
export interface ClientResetConfig {
  readonly mode: ClientResetMode;
  readonly onBefore?: (before: DocumentsSnapshot) => void;
  readonly onAfter?: (before: DocumentsSnapshot, after: DocumentsSnapshot, didRecover: boolean) => void;
}

/** The `sync` options of `Realm.open`. */
export interface SyncConfiguration {
  readonly user: User;
  readonly partition: string;
  readonly stopPolicy?: StopPolicy;
  readonly clientReset?: ClientResetConfig;
  readonly onError?: (session: SyncSession, error: SyncError) => void;
  readonly cancelWaitsOnNonFatalError?: boolean;
  /** What `Realm.open` waits for when the file is not there yet (Realm's name); `openImmediately` by default. */
  readonly newRealmFileBehavior?: OpenRealmBehaviorConfiguration;
  /** What `Realm.open` waits for when the file is there already; `openImmediately` by default. */
  readonly existingRealmFileBehavior?: OpenRealmBehaviorConfiguration;
  /**
   * Headers sent on the sync socket's WebSocket upgrade and on the token refresh requests this
   * session asks for (Realm's `customHttpHeaders`), for a gateway or proxy in front of the
   * server. Names are HTTP tokens, once each (case-insensitively), none the runtime owns (`host`,
   * `connection`, `upgrade`, `content-type`, `user-agent`, `sec-websocket-*`…); values are
   * strings of visible ASCII; at most 64 headers and 8 KiB. A copy is taken at `Realm.open`:
   * changing the object later changes nothing. Sessions of a user share a socket only when their
   * headers are equal (names compared case-insensitively); different ones get a socket each
   * (docs/SEMANTICS.md §2.1).
   */
  readonly customHttpHeaders?: Readonly<Record<string, string>>;
}

const stopPolicies: readonly StopPolicy[] = ['afterChangesUploaded', 'immediately', 'liveIndefinitely'];
const resetModes: readonly ClientResetMode[] = ['manual', 'discardUnsyncedChanges', 'recoverUnsyncedChanges', 'recoverOrDiscard'];

/**
 * A partition name as the protocol takes it (`keyProblem`: at most `MAX_PARTITION_BYTES` of
 * UTF-8, no NUL, no lone surrogate): refused at `Realm.open`, not later by the server's
 * `badMessage` on BIND. The message says what is wrong, not only what is expected.
 */
const partitionSchema: OptionSchema = {
  expected: `a non-empty string of at most ${MAX_PARTITION_BYTES} bytes of UTF-8, without NUL or lone surrogates`,
  check: (owner, path, value) => {
    const problem = keyProblem('partition', value);
    if (problem !== undefined) throw new TypeError(`${owner}: ${path} must be ${partitionSchema.expected}, got ${describeValue(value)}: ${problem}`);
  },
};

/** Every `sync` option, nested ones included; `user` is checked for a `User` afterwards (its own messages). */
const syncSchema = obj({
  user: { schema: custom('a User from app.logIn', (v) => v instanceof User), required: true },
  partition: { schema: partitionSchema, required: true },
  stopPolicy: oneOf(stopPolicies),
  clientReset: obj({
    mode: { schema: oneOf(resetModes), required: true },
    onBefore: func('a function (before) => void'),
    onAfter: func('a function (before, after, didRecover) => void'),
  }),
  onError: func('a function (session, error) => void'),
  cancelWaitsOnNonFatalError: bool,
  newRealmFileBehavior: openBehaviorSchema,
  existingRealmFileBehavior: openBehaviorSchema,
  customHttpHeaders: customHttpHeadersSchema,
});

/**
 * Checks the `sync` options before anything is opened; bad ones throw a `TypeError` naming the
 * field. Returns what the session is to use: `sync` itself, or, with `customHttpHeaders`, a copy
 * holding them checked and canonical (frozen, lower-case names, sorted).
 */
export function checkSyncConfiguration(sync: SyncConfiguration): SyncConfiguration {
  if (typeof sync !== 'object' || sync === null) throw new TypeError('Realm.open: sync must be an object');
  if (!(sync.user instanceof User)) throw new TypeError('Realm.open: sync.user must be a User from app.logIn');
  // The headers are read once, into a checked copy: what is checked is what is sent.
  const raw = sync.customHttpHeaders;
  const given = raw === undefined ? sync : { ...sync, customHttpHeaders: checkedHttpHeaders('Realm.open', 'sync.customHttpHeaders', raw) };
  validateOptions('Realm.open', syncSchema, given, 'sync');
  checkOpenBehavior('sync.newRealmFileBehavior', given.newRealmFileBehavior);
  checkOpenBehavior('sync.existingRealmFileBehavior', given.existingRealmFileBehavior);
  if (!given.user.isLoggedIn) throw new TypeError(`Realm.open: sync.user ${given.user.id} is logged out`);
  return given;
}
