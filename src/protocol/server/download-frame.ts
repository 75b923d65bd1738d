/**
 * The text of a DOWNLOAD assembled from changesets already in JSON. A server sends each
 * changeset of a partition to every client of it (and again to each new one); keeping its JSON
 * and splicing it in avoids encoding it per message. The frame is the JSON of the same message
 * `encodeMessage` would produce (key order aside), as the protocol tests check.
 */
import { withChangesetsJson } from '../changeset.codec.js';
import type { Download } from './download.codec.js';

/** A DOWNLOAD without its changesets, which come as JSON texts. */
export type DownloadWithoutChangesets = Omit<Download, 'type' | 'changesets'>;

/**
 * The frame of `message` carrying `changesetJson`: the JSON text of each changeset (its own
 * fields and `serverVersion`, as `ServerChangesetCodec` encodes it), trusted as such.
 */
export function encodeDownloadFrame(message: DownloadWithoutChangesets, changesetJson: readonly string[]): string {
  const { session, cursors, uploadAck, downloadableBytes } = message;
  return withChangesetsJson({ type: 'download', session }, changesetJson, {
    cursors: { serverVersion: cursors.serverVersion, clientVersion: cursors.clientVersion },
    uploadAck,
    downloadableBytes,
  });
}
