import { describe, expect, it } from 'vitest';
import { progressBar, runModelDemo } from '../../src/demo/model-demo.js';

describe('the model demo', () => {
  it('tells the whole story: both waits resolve, the bar only grows, and the session ends inactive', () => {
    const lines: string[] = [];
    expect(runModelDemo((line) => lines.push(line))).toBe('inactive');
    const text = lines.join('\n');
    expect(text).toContain('wait upload-1: done');
    expect(text).toContain('wait download-1: done');
    expect(text).toContain('state: paused / disconnected');
    expect(text).toContain('state: dying / connected');
    // The MARK goes out again after the resume reconnects.
    expect(lines.filter((l) => l.includes('send MARK download-1'))).toHaveLength(2);
    const transferred = lines.filter((l) => l.includes('upload   [')).map((l) => Number(/(\d+)\/\d+ B/.exec(l)![1]));
    expect(transferred).toEqual([...transferred].sort((a, b) => a - b));
    expect(text).toContain('progress stream up ended');
  });

  it('draws bars in proportion', () => {
    expect(progressBar({ transferredBytes: 5, transferableBytes: 10, progressEstimate: 0.5, isTransferComplete: false }, 10)).toBe('[#####-----]  50%  5/10 B');
    expect(progressBar({ transferredBytes: 0, transferableBytes: 0, progressEstimate: 1, isTransferComplete: true }, 4)).toBe('[####] 100%  0/0 B');
  });
});
