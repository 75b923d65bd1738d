import * as t from 'io-ts';
import { NatCodec } from '../changeset.codec.js';
import { DownloadCursorCodec } from '../cursors.codec.js';
import { DecodedServerChangesetsCodec } from '../decoded-changesets.codec.js';
import { SessionIdCodec } from '../session-id.codec.js';

/**
 * DOWNLOAD: changesets of other files in server-version order, the download cursor after them,
 * the highest client version of this file the server has integrated (`uploadAck`), and the
 * bytes still to download after this message. Its decoded changesets carry the brand of
 * `DecodedServerChangesetsCodec`, so the store takes them as validated.
 */
export const DownloadCodec = t.readonly(
  t.type({
    type: t.literal('download'),
    session: SessionIdCodec,
    changesets: DecodedServerChangesetsCodec,
    cursors: DownloadCursorCodec,
    uploadAck: NatCodec,
    downloadableBytes: NatCodec,
  }),
  'Download',
);
export type Download = t.TypeOf<typeof DownloadCodec>;
