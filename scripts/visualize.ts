/**
 * Draws the state charts in machines/ as SVG and Mermaid files in visualizations/.
 *
 *   npx tsx scripts/visualize.ts           write the diagrams
 *   npx tsx scripts/visualize.ts --check   exit 1 if the committed diagrams are stale
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyStateMachine } from 'xstate';
import { connectionMachine, progressMachine, sessionMachine, waiterMachine } from '../machines/index.js';
import { renderMachine, type RenderedFile } from './visualize/render.js';

const machines: readonly (readonly [string, AnyStateMachine])[] = [
  ['session', sessionMachine],
  ['connection', connectionMachine],
  ['progress', progressMachine],
  ['waiter', waiterMachine],
];

// Relative to this file, not the working directory, so it runs the same from anywhere.
const outputDir = fileURLToPath(new URL('../visualizations/', import.meta.url));
const shown = (name: string): string => path.join('visualizations', name);

async function readOrUndefined(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function check(files: readonly RenderedFile[]): Promise<number> {
  const stale: string[] = [];
  for (const file of files) {
    const committed = await readOrUndefined(path.join(outputDir, file.name));
    if (committed === undefined) stale.push(`${shown(file.name)} (missing)`);
    else if (committed !== file.content) stale.push(`${shown(file.name)} (differs)`);
  }
  if (stale.length === 0) {
    console.log(`diagrams up to date (${machines.length} machines)`);
    return 0;
  }
  console.error(`diagrams out of date; run \`npx tsx scripts/visualize.ts\` and commit:\n${stale.map((line) => `  ${line}`).join('\n')}`);
  return 1;
}

async function write(files: readonly RenderedFile[]): Promise<number> {
  await mkdir(outputDir, { recursive: true });
  for (const file of files) {
    await writeFile(path.join(outputDir, file.name), file.content);
    console.log(`wrote ${shown(file.name)}`);
  }
  return 0;
}

async function main(args: readonly string[]): Promise<number> {
  const unknown = args.filter((arg) => arg !== '--check');
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown.join(' ')}\nusage: npx tsx scripts/visualize.ts [--check]`);
    return 2;
  }
  const files = (await Promise.all(machines.map(([name, machine]) => renderMachine(name, machine)))).flat();
  return args.includes('--check') ? check(files) : write(files);
}

process.exitCode = await main(process.argv.slice(2));
