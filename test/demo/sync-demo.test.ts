import { describe, expect, it } from 'vitest';
import { runSyncDemo } from '../../src/demo/sync-demo.js';

describe('the main job (npm start)', () => {
  it('syncs two clients through a pause and ends with equal replicas', async () => {
    const lines: string[] = [];
    const result = await runSyncDemo({ print: (line) => lines.push(line) });
    const text = lines.join('\n');
    expect(result).toEqual({ replicasEqual: true, documents: 8 });
    expect(text).toContain('alice: connection connected → disconnected   (session paused)');
    expect(text).toContain('both waits resolved');
    expect(text).toMatch(/alice: upload +\[#+\] 100%/);
    expect(text).toMatch(/bob: download +\[/);
    expect(text).toContain('after close: alice inactive, bob inactive');
  }, 30_000);
});
