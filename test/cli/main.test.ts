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

  it('refuses bad inspect and demo arguments with exit code 2, and prints their help', async () => {
    const errors: string[] = [];
    const out: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => errors.push(line));
    vi.spyOn(console, 'log').mockImplementation((line: string) => out.push(line));
    expect(await main(['inspect', '--port', '99999'])).toBe(2);
    expect(await main(['inspect', '--open'])).toBe(2);
    expect(await main(['demo', '--inspect-port', 'x'])).toBe(2);
    expect(await main(['demo', '--forever'])).toBe(2);
    expect(errors.join('\n')).toContain('--port must be an integer');
    expect(errors.join('\n')).toContain('--inspect-port must be an integer');
    expect(await main(['inspect', '--help'])).toBe(0);
    expect(await main(['demo', '--help'])).toBe(0);
    expect(out.join('\n')).toContain('viewer page at http://HOST:PORT/');
    expect(out.join('\n')).toContain('--hold keeps everything');
  });
});
