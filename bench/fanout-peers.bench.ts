/**
 * Benchmark 1: 10,000 single-put transactions on client A until all are visible on client B,
 * through the server (each server in its own process, both clients in this one). Per run a new
 * partition / room. Subjects:
 * - the project with durability 'batched' (the target) and 'full' (reported too), for the
 *   server and both clients (`App({ durability })`);
 * - Yjs over y-websocket (yjs, y-websocket client, @y/websocket-server), one Y.Map.set per
 *   transaction;
 * - Hocuspocus (server + provider), one Y.Map.set per transaction.
 * Timed from A's first write until B has all N. Target: project ('batched') ≤ 0.5 × the fastest peer.
 */
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { measure, now, scaled, until, withTimeout, RUNS, SCALE, type Benchmark, type BenchReport, type RunFn } from './harness.js';
import { newClient } from './client.js';
import { spawnServer } from './server-child.js';
import { spawnPeerServer } from './peer-server-child.js';

const TRANSACTIONS = scaled(10_000, 200);
const BOUND_MS = 300_000;

function project(durability: 'full' | 'batched'): { run: RunFn; close(): Promise<void> } {
  let server: Awaited<ReturnType<typeof spawnServer>> | undefined;
  return {
    run: async (run) => {
      server ??= await spawnServer({ durability });
      const a = await newClient(server.url, `fanout-a-${durability}-${run}`, durability);
      const b = await newClient(server.url, `fanout-b-${durability}-${run}`, durability);
      try {
        const partition = `fanout-${durability}-${run}`;
        const ra = await a.open(partition);
        const rb = await b.open(partition);
        const seen = new Set<string>();
        rb.addListener(({ changed, origin }) => {
          if (origin === 'remote') for (const k of changed) seen.add(k.id);
        });
        const start = now();
        for (let i = 0; i < TRANSACTIONS; i++) ra.write((tx) => tx.put('Task', `t${i}`, { title: `task ${i}`, done: false }));
        const written = now();
        await until(() => seen.size >= TRANSACTIONS, BOUND_MS, `B sees ${TRANSACTIONS} (${seen.size})`, 1);
        const end = now();
        ra.close();
        rb.close();
        return { ms: end - start, writeLoopMs: written - start };
      } finally {
        a.close();
        b.close();
      }
    },
    close: async () => server?.close(),
  };
}

function yjsPeer(kind: 'yws' | 'hocuspocus'): { run: RunFn; close(): Promise<void> } {
  let server: Awaited<ReturnType<typeof spawnPeerServer>> | undefined;
  return {
    run: async (run) => {
      server ??= await spawnPeerServer(kind);
      const room = `fanout-${kind}-${run}`;
      const docA = new Y.Doc();
      const docB = new Y.Doc();
      const destroy: Array<() => void> = [];
      const connect = async (doc: Y.Doc): Promise<void> => {
        if (kind === 'yws') {
          const provider = new WebsocketProvider(server!.url, room, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true });
          destroy.push(() => provider.destroy());
          await withTimeout(new Promise<void>((resolve) => provider.once('sync', () => resolve())), 30_000, 'y-websocket sync');
        } else {
          const socket = new HocuspocusProviderWebsocket({ url: server!.url, WebSocketPolyfill: WebSocket });
          const provider = new HocuspocusProvider({ websocketProvider: socket, name: room, document: doc });
          provider.attach();
          destroy.push(() => {
            provider.destroy();
            socket.destroy();
          });
          await withTimeout(new Promise<void>((resolve) => provider.on('synced', () => resolve())), 30_000, 'hocuspocus synced');
        }
      };
      try {
        await connect(docA);
        await connect(docB);
        const mapA = docA.getMap<{ title: string; done: boolean }>('tasks');
        const mapB = docB.getMap('tasks');
        const start = now();
        for (let i = 0; i < TRANSACTIONS; i++) docA.transact(() => mapA.set(`t${i}`, { title: `task ${i}`, done: false }));
        const written = now();
        await until(() => mapB.size >= TRANSACTIONS, BOUND_MS, `B sees ${TRANSACTIONS} (${mapB.size})`, 1);
        const end = now();
        return { ms: end - start, writeLoopMs: written - start };
      } finally {
        for (const d of destroy) d();
        docA.destroy();
        docB.destroy();
      }
    },
    close: async () => server?.close(),
  };
}

export const fanoutPeers: Benchmark = {
  name: 'fanout-peers',
  title: `${TRANSACTIONS} single-put transactions on A until visible on B, through the server`,
  async run(): Promise<BenchReport> {
    const subjects = {
      projectBatched: project('batched'),
      projectFull: project('full'),
      yWebsocket: yjsPeer('yws'),
      hocuspocus: yjsPeer('hocuspocus'),
    };
    try {
      const results = await measure(Object.fromEntries(Object.entries(subjects).map(([k, v]) => [k, v.run])));
      const ms = (name: string) => results[name]!.metrics.ms!;
      const fastest = ms('yWebsocket').median <= ms('hocuspocus').median ? 'yWebsocket' : 'hocuspocus';
      const rows = (['projectBatched', 'projectFull'] as const).map((name) => {
        const ratio = ms(name).median / ms(fastest).median;
        return {
          metric: `A→B, server ${name === 'projectBatched' ? "'batched'" : "'full'"}`,
          unit: 'ms',
          value: ms(name),
          baselineName: `${fastest} (fastest peer)`,
          baseline: ms(fastest),
          ratio,
          ...(name === 'projectBatched' ? { target: '≤ 0.5×', met: ratio <= 0.5 } : {}),
        };
      });
      return {
        benchmark: 'fanout-peers',
        title: this.title,
        scale: SCALE,
        runs: RUNS,
        sizes: { transactions: TRANSACTIONS },
        subjects: results,
        rows: [
          ...rows,
          { metric: 'A→B y-websocket', unit: 'ms', value: ms('yWebsocket') },
          { metric: 'A→B hocuspocus', unit: 'ms', value: ms('hocuspocus') },
          { metric: "project 'batched': A's write loop", unit: 'ms', value: results.projectBatched!.metrics.writeLoopMs! },
        ],
        notes: ["durability applies to the server and both clients (App({ durability }))"],
      };
    } finally {
      for (const s of Object.values(subjects)) await s.close();
    }
  },
};
