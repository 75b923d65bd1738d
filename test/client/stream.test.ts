import { describe, expect, it } from 'vitest';
import { Broadcast, Stream } from '../../src/client/stream.js';

describe('Stream', () => {
  it('runs its source per subscriber and stops it on unsubscribe', () => {
    const log: string[] = [];
    let n = 0;
    const stream = new Stream<number>((sink) => {
      const id = ++n;
      log.push(`start ${id}`);
      sink.next(id * 10);
      return () => log.push(`stop ${id}`);
    });
    const seen: number[] = [];
    const a = stream.subscribe((v) => seen.push(v));
    const b = stream.subscribe({ next: (v) => seen.push(v) });
    a.unsubscribe();
    a.unsubscribe();
    b.unsubscribe();
    expect(seen).toEqual([10, 20]);
    expect(log).toEqual(['start 1', 'start 2', 'stop 1', 'stop 2']);
  });

  it('breaking out of for await unsubscribes; values after the end are not delivered', async () => {
    const hub = new Broadcast<number>();
    const got: number[] = [];
    const loop = (async () => {
      for await (const v of hub.stream) {
        got.push(v);
        if (v === 2) break;
      }
    })();
    await Promise.resolve();
    hub.push(1);
    hub.push(2);
    hub.push(3);
    await loop;
    expect(got).toEqual([1, 2]);
    expect((hub as unknown as { sinks: Set<unknown> }).sinks.size).toBe(0);
  });

  it('ends for await when the stream completes, and rethrows its error', async () => {
    const done = new Stream<number>((sink) => {
      sink.next(1);
      sink.complete();
      sink.next(2);
    });
    const got: number[] = [];
    for await (const v of done) got.push(v);
    expect(got).toEqual([1]);
    const failing = new Stream<number>((sink) => sink.error(new Error('boom')));
    await expect((async () => {
      for await (const _ of failing) void _;
    })()).rejects.toThrow('boom');
  });

  it('a stream subscribed after its broadcast ended completes at once', () => {
    const hub = new Broadcast<string>();
    hub.end();
    let completed = false;
    hub.stream.subscribe({ complete: () => (completed = true) });
    expect(completed).toBe(true);
  });
});
