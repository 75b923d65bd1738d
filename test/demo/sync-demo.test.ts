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
    // The link is not offered as if it stayed: it says it ends with the demo, and names --hold
    // both as `npm start` passes it and as the installed package's command takes it.
    expect(text).toMatch(
      /inspector: http:\/\/127\.0\.0\.1:\d+\/ shows the sessions live only while the demo runs \(a few seconds\); --hold keeps it open: npm start -- --hold, or installed, npx sync-session demo --hold/,
    );
  }, 30_000);

  it('prints each step\'s events under its own heading, before the next heading', async () => {
    const lines: string[] = [];
    await runSyncDemo({ print: (line) => lines.push(line), inspectPort: false });
    // The story, cut at its headings: steps[i] is heading i and what printed until the next one.
    const steps: string[][] = [];
    for (const line of lines) {
      if (line.startsWith('\n• ')) steps.push([line.slice(1)]);
      else steps.at(-1)?.push(line);
    }
    const done = (who: string, direction: string) => new RegExp(`^  ${who}: ${direction} +\\[#+\\] 100%`);
    const has = (step: number, pattern: RegExp) => expect(steps[step]!.some((line) => pattern.test(line)), `step ${step + 1}: ${pattern}`).toBe(true);
    has(0, /alice: connection connecting → connected/);
    for (const who of ['alice', 'bob']) for (const direction of ['upload', 'download']) has(0, done(who, direction));
    has(1, /alice: connection connected → disconnected/);
    has(1, done('bob', 'upload'));
    has(2, /alice: connection connecting → connected/);
    has(2, done('alice', 'upload'));
    has(2, done('alice', 'download'));
    has(2, done('bob', 'download'));
    has(3, /alice: connection connected → disconnected/);
    has(3, /bob: connection connected → disconnected/);
    expect(steps.map((step) => step[0])).toEqual([
      '• alice writes 3 tasks, bob 2; both wait for upload, then for download',
      '• alice pauses and writes while paused; bob marks a1 done and waits for upload',
      '• alice resumes; both wait for upload and download',
      '• both close their realms',
    ]);
    // Each step ends with its outcome: nothing of it prints after that (the third is followed
    // by the story's conclusion only).
    expect(steps.map((step) => step.at(-1))).toEqual([
      expect.stringContaining("each has the other's tasks"),
      expect.stringContaining("bob's change acknowledged"),
      expect.stringContaining('replicas equal'),
      expect.stringContaining('after close: alice inactive, bob inactive'),
    ]);
    expect(steps[2]!.at(-2)).toBe('  both waits resolved');
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
