import type { SyncSession } from './sync-session.js';

/** The session of each synced realm handle (both `Realm` and `SyncSession.forRealm` read it). */
export const realmSessions = new WeakMap<object, SyncSession>();
