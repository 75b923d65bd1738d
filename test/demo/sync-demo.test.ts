import { describe, expect, it } from 'vitest';
import { startTsxProcess } from '../support/tsx-process.js';
import { runSyncDemo } from '../../src/demo/sync-demo.js';

describe('the main job (npm start)', () => {
  it('syncs two clients through a pause and ends with equal replicas', async () => {
    const lines: string[] = [];
    const result = await runSyncDemo({ print: (line) => lines.push(line), inspectPort: 0 });
    const text = lines.join('\n');
    expect(result).toEqual({ replicasEqual: true, documents: 8 });
    expect(text).toContain('alice: connection connected → disconnected   (session paused)');
    expect(text).toContain('both waits resolved');
    expect(text).toMatch(/alice: upload +\[#+\] 100%/);
    expect(text).toMatch(/bob: download +\[/);
    expect(text).toContain('after close: alice inactive, bob inactive');
    expect(text).toMatch(/inspector: open http:\/\/127\.0\.0\.1:\d+\/ to watch the sessions live \(npm start -- --hold keeps them running\)/);
  }, 30_000);

  it('npm start -- --hold: keeps the demo and its viewer up until Ctrl-C, then exits 0', async () => {
    const demo = await startTsxProcess(['src/cli.ts', 'demo', '--hold', '--inspect-port', '0'], (out) => out.includes('holding:'));
    try {
      const viewer = /inspector: open (http:\/\/\S+)/.exec(demo.output())![1]!;
      // Still up well after the story ended, with the writes of the held demo going on.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const page = await fetch(viewer);
      expect(page.status).toBe(200);
      expect(demo.output()).not.toContain('after close');
      expect(await demo.stop('SIGINT')).toBe(0);
      expect(demo.output()).toContain('after close: alice inactive, bob inactive');
    } finally {
      await demo.stop();
    }
  }, 40_000);
});
