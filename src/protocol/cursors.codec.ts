import * as t from 'io-ts';
import { NatCodec } from './changeset.codec.js';

/**
 * Where a client's uploads stand: the last local version the server integrated and the last
 * server version the client had integrated when it produced it.
 */
export const UploadCursorCodec = t.readonly(t.type({ clientVersion: NatCodec, serverVersion: NatCodec }), 'UploadCursor');
export type UploadCursor = t.TypeOf<typeof UploadCursorCodec>;

/**
 * Where a client's downloads stand: the last server version it integrated, and the last of
 * its own versions that server version had integrated.
 */
export const DownloadCursorCodec = t.readonly(t.type({ serverVersion: NatCodec, clientVersion: NatCodec }), 'DownloadCursor');
export type DownloadCursor = t.TypeOf<typeof DownloadCursorCodec>;

/** Both cursors and the history epoch they belong to (a reset partition starts a new epoch). */
export const CursorsCodec = t.readonly(
  t.type({ epoch: t.string, upload: UploadCursorCodec, download: DownloadCursorCodec }),
  'Cursors',
);
export type Cursors = t.TypeOf<typeof CursorsCodec>;
