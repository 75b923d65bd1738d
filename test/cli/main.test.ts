import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, usage } from '../../src/cli/main.js';

afterEach(() => vi.restoreAllMocks());

describe('command line', () => {
  it('rejects an unknown command with exit code 2 and the usage', () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => errors.push(line));
    expect(main(['serve-everything'])).toBe(2);
    expect(errors.join('\n')).toContain("unknown command 'serve-everything'");
    expect(errors.join('\n')).toContain(usage);
  });

  it('prints help with no command', () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => out.push(line));
    expect(main([])).toBe(0);
    expect(out.join('\n')).toContain('demo');
  });

  it('runs the demo to a clean exit', () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(main(['demo'])).toBe(0);
  });
});
