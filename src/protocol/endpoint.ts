/** The WebSocket subprotocol of this protocol version. */
export const SUBPROTOCOL = 'sync-session.v1';

/** The WebSocket path of the sync endpoint. */
export const SYNC_PATH = '/sync';

/** The sync socket URL of a server whose base URL is `baseUrl` (`http://host:port`). */
export const syncUrl = (baseUrl: string): string => `${baseUrl.replace(/^http/, 'ws')}${SYNC_PATH}`;

/** The sync socket URLs of a server's nodes, in the same order: as many as `baseUrls`. */
export const syncUrls = <List extends readonly string[]>(baseUrls: List): { readonly [I in keyof List]: string } =>
  baseUrls.map(syncUrl) as { readonly [I in keyof List]: string };
