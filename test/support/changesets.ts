import type { Changeset } from '../../src/protocol/index.js';

/** A changeset of `origin` at `clientVersion` that puts one document `Task/<id>`. */
export function putTask(origin: string, clientVersion: number, id: string, fields: Record<string, string | number | boolean> = { n: clientVersion }): Changeset {
  return { clientVersion, origin, hlc: { wall: 1_000 + clientVersion, counter: 0 }, ops: [{ op: 'put', type: 'Task', id, fields }] };
}
