import * as t from 'io-ts';
import { ChangesetCodec } from '../changeset.codec.js';
import { UploadCursorCodec } from '../cursors.codec.js';
import { SessionIdCodec } from '../session-id.codec.js';

/**
 * UPLOAD: local changesets in client-version order, and the upload cursor after them
 * (`progress.clientVersion` is the last version sent, `progress.serverVersion` the last server
 * version integrated locally when it was made).
 */
export const UploadCodec = t.readonly(
  t.type({
    type: t.literal('upload'),
    session: SessionIdCodec,
    changesets: t.readonlyArray(ChangesetCodec),
    progress: UploadCursorCodec,
  }),
  'Upload',
);
export type Upload = t.TypeOf<typeof UploadCodec>;
