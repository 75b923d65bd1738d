/**
 * docs/SEMANTICS.md stays true: its citations in the code point at sections it has, and what it
 * names (test files and test names, chart states and the events they handle, source files)
 * exists. A renamed test, a moved state or a new citation of a missing section fails here.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connectionMachine, progressMachine, sessionMachine, waiterMachine } from '../../machines/index.js';
import { chartProblems, citationProblems, pathReferences, sectionsOf, testReferenceProblems, testReferences } from './semantics-doc.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const doc = readFileSync(join(root, 'docs/SEMANTICS.md'), 'utf8');
const machines = { session: sessionMachine, connection: connectionMachine, waiter: waiterMachine, progress: progressMachine };

/** This checker's own files spell the words it looks for. */
const checker = new Set(['test/docs/semantics-doc.ts', 'test/docs/semantics-doc.test.ts']);

/** Source and doc files that may cite the doc, as paths relative to the repository. */
function citingFiles(): string[] {
  const files = ['README.md', 'PROTOCOL.md'];
  // Bounded by the tree: each directory is listed once.
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir))) {
      const path = join(dir, entry);
      if (statSync(join(root, path)).isDirectory()) walk(path);
      else if (/\.(ts|js|md)$/.test(entry) && !checker.has(path)) files.push(path);
    }
  };
  for (const dir of ['machines', 'src', 'test', 'scripts']) walk(dir);
  return files;
}

const readTest = (file: string): string | undefined => (existsSync(join(root, file)) ? readFileSync(join(root, file), 'utf8') : undefined);

describe('docs/SEMANTICS.md', () => {
  it('every citation in machines/, src/, test/, scripts/, README and PROTOCOL names docs/SEMANTICS.md and a section it has', () => {
    const sections = sectionsOf(doc);
    const problems = citingFiles().flatMap((file) => citationProblems(relative('.', file), readFileSync(join(root, file), 'utf8'), sections));
    expect(problems).toEqual([]);
  });

  it('every test it names exists, with the quoted name', () => {
    expect(testReferences(doc).length).toBeGreaterThan(40);
    expect(testReferenceProblems(doc, readTest)).toEqual([]);
  });

  it('every chart state it names is in its machine, and handles the event the doc says it does', () => {
    expect(chartProblems(doc, machines)).toEqual([]);
  });

  it('every source and test file it names exists', () => {
    expect(pathReferences(doc).filter((path) => !existsSync(join(root, path)))).toEqual([]);
  });

  it('each rule names the chart or code implementing it and at least one test', () => {
    // A rule entry starts at "- **Rule**"; the lines up to the next heading are its entry.
    const entries = doc.split(/^#{2,3} /m).filter((part) => part.startsWith('§') && part.includes('- **Rule**'));
    const incomplete = entries.filter((entry) => !entry.includes('- **Chart**') || !/- \*\*Test\*\*: `test\//.test(entry)).map((entry) => entry.split('\n')[0]);
    expect(incomplete).toEqual([]);
  });

  it('catches a broken reference of each kind', () => {
    const broken = [
      '## §1 One',
      '- **Test**: `test/e2e/sync-session.test.ts` › "a test nobody wrote"',
      '- **Test**: `test/e2e/no-such.test.ts` › "anything"',
      '- **Chart**: `#session.lifecycle.nowhere`; `#session.lifecycle.paused` on `pause`; `#nomachine.x`.',
    ].join('\n');
    expect(citationProblems('a.ts', '// docs/SEMANTICS.md §1, SEMANTICS.md §1, docs/SEMANTICS.md §7 (SEMANTICS: x)', sectionsOf(broken))).toEqual([
      'a.ts: cites "SEMANTICS.md", not docs/SEMANTICS.md',
      'a.ts: cites docs/SEMANTICS.md §7, which the doc does not have',
      'a.ts:1: cites "SEMANTICS", not docs/SEMANTICS.md §N',
    ]);
    expect(testReferenceProblems(broken, readTest)).toEqual([
      'the doc names the test "a test nobody wrote", which test/e2e/sync-session.test.ts does not have',
      'the doc names test/e2e/no-such.test.ts, which does not exist',
    ]);
    expect(chartProblems(broken, machines)).toEqual([
      'the doc names the state #session.lifecycle.nowhere, which its chart does not have',
      'the doc names the state #nomachine.x, which its chart does not have',
      'the doc says #session.lifecycle.paused handles `pause`, which neither it nor an ancestor does',
    ]);
  });
});
