/**
 * Server changesets as a DOWNLOAD's decoder gives them, for tests that feed a realm file
 * directly: `RealmFile.integrateDownload` takes only changesets a codec has read.
 */
import { DecodedServerChangesetsCodec, readableErrors, type DecodedServerChangesets } from '../../src/protocol/index.js';
import { InvalidInputError } from '../../src/store/index.js';

/**
 * `changesets` decoded by `DecodedServerChangesetsCodec` (unknown keys dropped, as off the wire).
 * Throws `InvalidInputError` for what the codec refuses, as `integrateDownload` did when it
 * validated its argument itself.
 */
export function decodedChangesets(changesets: readonly unknown[]): DecodedServerChangesets {
  const result = DecodedServerChangesetsCodec.decode(changesets);
  if (result._tag === 'Left') throw new InvalidInputError(`integrateDownload: not server changesets: ${readableErrors(result.left)}`);
  return result.right;
}
