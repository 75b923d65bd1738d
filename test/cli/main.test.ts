import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, usage } from '../../src/cli/main.js';

afterEach(() => vi.restoreAllMocks());

describe('command line', () => {
  it('rejects an unknown command with exit code 2 and the usage', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => errors.push(line));
    expect(await main(['serve-everything'])).toBe(2);
    expect(errors.join('\n')).toContain("unknown command 'serve-everything'");
    expect(errors.join('\n')).toContain(usage);
  });

  it('prints help with no command', async () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => out.push(line));
    expect(await main([])).toBe(0);
    expect(out.join('\n')).toContain('demo');
  });

  it('runs the model demo to a clean exit', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['model-demo'])).toBe(0);
  });

  it('refuses bad serve arguments with exit code 2 before opening anything', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => errors.push(line));
    expect(await main(['serve', '--port', 'ninety'])).toBe(2);
    expect(await main(['serve', '--colour'])).toBe(2);
    expect(errors.join('\n')).toContain('--port must be an integer');
  });
});
