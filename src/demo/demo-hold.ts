import type { DemoHandle } from './demo-setup.js';

/** Time between two steps of the held demo. */
const STEP_MS = 2_000;

/**
 * Keeps a demo alive until `signal` aborts, with something to watch: alice updates a task every
 * step, and bob pauses every fifth step and resumes on the next one.
 */
export async function holdDemo(demo: DemoHandle, signal: AbortSignal, print: (line: string) => void): Promise<void> {
  const [alice, bob] = demo.clients;
  print(`\nholding: alice writes every ${STEP_MS / 1000} s, bob pauses now and then. Ctrl-C to stop.`);
  let step = 0;
  while (!signal.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STEP_MS);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
    if (signal.aborted) break;
    step++;
    alice.realm.write((tx) => tx.put('Task', 'heartbeat', { title: `step ${step}`, done: false }));
    if (step % 5 === 0) bob.session.pause();
    else if (bob.session.state === 'paused') bob.session.resume();
  }
  print('\nstopping');
}
