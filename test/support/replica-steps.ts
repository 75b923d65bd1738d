/**
 * The steps of the convergence properties that every replica can take (write, delete, upload,
 * lose and regain its connection), with the weights they are drawn with. Each property adds the
 * steps of its own setting (a fold on one server, a move between nodes).
 */
import fc from 'fast-check';

/** A step one replica takes. */
export type ReplicaStep =
  | { kind: 'put'; client: number; id: string; field: 'a' | 'b'; value: number }
  | { kind: 'delete'; client: number; id: string }
  | { kind: 'upload'; client: number }
  | { kind: 'disconnect'; client: number }
  | { kind: 'reconnect'; client: number };

/** The replica steps of `clients` clients over three documents, weighted, for `fc.oneof`. */
export function replicaSteps(clients: number): Array<fc.WeightedArbitrary<ReplicaStep>> {
  const client = fc.nat(clients - 1);
  const id = fc.constantFrom('d0', 'd1', 'd2');
  return [
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), client, id, field: fc.constantFrom('a' as const, 'b' as const), value: fc.nat(99) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), client, id }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('upload' as const), client }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), client }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), client }) },
  ];
}
