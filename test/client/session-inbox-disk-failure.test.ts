/**
 * A disk that fails while a server message is being written to the realm file (`session-inbox.ts`):
 * the session hears a fatal `localStorageFailed` error (the client's disk, not the server's
 * message); nothing is thrown, because a throw there would escape the socket's message handler
 * and end the app's process. A message the file refuses (a cursor moving back) is the server's
 * fault: `badDownload`, a protocol error. The file is a real `RealmFile` on the simulated disk of
 * `sync-session/testing`, whose power loss strikes inside the write.
 */
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../machines/session.types.js';
import { defaultServerLimits, ServerTerms } from '../../src/client/server-terms.js';
import { receive } from '../../src/client/session-inbox.js';
import { decodeServerMessage, type ServerMessage } from '../../src/protocol/index.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { SeededRandom, SimDisk } from '../../src/testing/index.js';

const decoded = (message: unknown): ServerMessage => {
  const result = decodeServerMessage(JSON.stringify(message));
  if (result._tag === 'Left') throw new Error(result.left.message);
  return result.right;
};

const IDENT = { type: 'ident', session: 1, fileIdent: '0123456789abcdef', epoch: 'e2e2e2e2e2e2', maxMessageBytes: 16 * 1024 * 1024, maxChangesetBytes: 16 * 1024 * 1024 - 1024 };

/** A DOWNLOAD of one changeset from another file, leaving the download cursor at `serverVersion`. */
const download = (serverVersion: number) => ({
  type: 'download',
  session: 1,
  changesets: [{ clientVersion: serverVersion, origin: 'fedcba9876543210', hlc: { wall: 1764081000123, counter: serverVersion }, ops: [{ op: 'put', type: 'Task', id: `t${serverVersion}`, fields: { title: 'x' } }], serverVersion }],
  cursors: { serverVersion, clientVersion: 0 },
  uploadAck: 0,
  downloadableBytes: 0,
});

/** A realm file on a fresh simulated disk, and the chart's events of messages delivered to it. */
function onSimulatedDisk() {
  const disk = new SimDisk('client', new SeededRandom(7));
  const fileSystem = disk.mount();
  fileSystem.mkdirSync('/realms', { recursive: true });
  const file = RealmFile.open({ path: '/realms/a.realm', fileSystem });
  const events: SessionEvent[] = [];
  const deliver = (message: unknown): void =>
    receive(decoded(message), { file, terms: new ServerTerms(defaultServerLimits()), toChart: (event) => void events.push(event), reportProgress: () => {}, serverAccepted: () => {} });
  return { disk, file, events, deliver };
}

describe('session inbox when the disk fails', () => {
  it('an IDENT whose new epoch cannot be written is a fatal local-storage error, not a throw', () => {
    const { disk, file, events, deliver } = onSimulatedDisk();
    disk.armCrash(1, () => disk.crash());
    expect(() => deliver(IDENT)).not.toThrow();
    expect(events).toEqual([
      { type: 'error', error: { code: 'localStorageFailed', category: 'session', isFatal: true, message: expect.stringMatching(/cannot record the server's epoch: .*EIO/) } },
    ]);
    expect(file.cursors.epoch).toBeUndefined();
  });

  it('with a working disk the same IDENT records the epoch and reaches the chart', () => {
    const { file, events, deliver } = onSimulatedDisk();
    deliver(IDENT);
    expect(file.cursors.epoch).toBe('e2e2e2e2e2e2');
    expect(events).toEqual([{ type: 'server.ident' }]);
  });

  it('a DOWNLOAD the disk fails under is a fatal local-storage error, and the cursor stays', () => {
    const { disk, file, events, deliver } = onSimulatedDisk();
    deliver(IDENT);
    events.length = 0;
    disk.armCrash(1, () => disk.crash());
    expect(() => deliver(download(1))).not.toThrow();
    expect(events).toEqual([{ type: 'error', error: expect.objectContaining({ code: 'localStorageFailed', category: 'session', isFatal: true, message: expect.stringMatching(/EIO/) }) }]);
    expect(file.cursors.download.serverVersion).toBe(0);
  });

  it('a STATE the disk fails under is a fatal local-storage error', () => {
    const { disk, events, deliver } = onSimulatedDisk();
    deliver(IDENT);
    events.length = 0;
    disk.armCrash(1, () => disk.crash());
    const documents = [{ type: 'Task', id: 't1', fields: [['title', 'x', [1764081000123, 0, 'fedcba9876543210', 0]]], tombstone: null }];
    expect(() => deliver({ type: 'state', session: 1, documents, downloadableBytes: 0 })).not.toThrow();
    expect(events).toEqual([{ type: 'error', error: expect.objectContaining({ code: 'localStorageFailed', category: 'session', isFatal: true }) }]);
  });

  it('a DOWNLOAD whose cursor moves back is still the server\'s fault: badDownload, a fatal protocol error', () => {
    const { file, events, deliver } = onSimulatedDisk();
    deliver(IDENT);
    deliver(download(2));
    expect(file.cursors.download.serverVersion).toBe(2);
    events.length = 0;
    expect(() => deliver(download(1))).not.toThrow();
    expect(events).toEqual([{ type: 'error', error: { code: 'badDownload', category: 'protocol', isFatal: true, message: expect.stringMatching(/move back/) } }]);
    expect(file.cursors.download.serverVersion).toBe(2);
  });
});
