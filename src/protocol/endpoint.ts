/** The WebSocket subprotocol of this protocol version. */
export const SUBPROTOCOL = 'sync-session.v1';

/** The WebSocket path of the sync endpoint. */
export const SYNC_PATH = '/sync';

/** The sync socket URL of a server whose base URL is `baseUrl` (`http://host:port`). */
export const syncUrl = (baseUrl: string): string => `${baseUrl.replace(/^http/, 'ws')}${SYNC_PATH}`;
