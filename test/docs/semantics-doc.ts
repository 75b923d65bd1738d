/**
 * The checks that keep docs/SEMANTICS.md true, as pure functions of texts and lookups, so the
 * test can run them on the real files and also show they catch a broken reference.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';

/** One thing wrong with the doc or a citation of it, said so a reader can fix it. */
export type Problem = string;

/** Section numbers the doc defines: `§1` from `## §1 …`, `§1.2` from `### §1.2 …`. */
export function sectionsOf(doc: string): Set<string> {
  const sections = new Set<string>();
  for (const match of doc.matchAll(/^#{2,3} (§\d+(?:\.\d+)?)\s/gm)) sections.add(match[1]!);
  return sections;
}

/**
 * Problems of the citations in one file: every mention of SEMANTICS.md must be the path
 * `docs/SEMANTICS.md`, and every section it names (`§4`, `§1–§2 and §4`) must exist.
 */
export function citationProblems(file: string, text: string, sections: ReadonlySet<string>): Problem[] {
  const problems: Problem[] = [];
  for (const match of text.matchAll(/(\S*)SEMANTICS\.md((?:\s*(?:§\d+(?:\.\d+)?|–|-|,|and)(?=[\s,.;:)–§]|$))*)/g)) {
    const prefix = match[1]!;
    if (!prefix.endsWith('docs/')) problems.push(`${file}: cites "${prefix}SEMANTICS.md", not docs/SEMANTICS.md`);
    for (const section of match[2]!.matchAll(/§\d+(?:\.\d+)?/g)) {
      if (!sections.has(section[0])) problems.push(`${file}: cites docs/SEMANTICS.md ${section[0]}, which the doc does not have`);
    }
  }
  // The bare word, as in "(SEMANTICS: cursors are monotonic)", is a citation without a path.
  for (const match of text.matchAll(/\bSEMANTICS\b(?!\.md)/g)) {
    const line = text.slice(0, match.index).split('\n').length;
    problems.push(`${file}:${line}: cites "${match[0]}", not docs/SEMANTICS.md §N`);
  }
  return problems;
}

/** Where the doc names a test file and, after `›`, a test's name in double quotes. */
export function testReferences(doc: string): Array<{ readonly file: string; readonly name: string }> {
  return [...doc.matchAll(/`(test\/[^`]+\.test\.ts)` › "([^"]+)"/g)].map((m) => ({ file: m[1]!, name: m[2]! }));
}

/** Every repository path the doc names in backticks (`src/…`, `machines/…`, `test/…`). */
export function pathReferences(doc: string): string[] {
  return [...new Set([...doc.matchAll(/`((?:src|machines|test)\/[\w./-]+\.[a-z]+)`/g)].map((m) => m[1]!))];
}

/**
 * Problems of the test references: the file must exist and hold the name (as written in the
 * source, with `\'` read as `'`).
 */
export function testReferenceProblems(doc: string, readTest: (file: string) => string | undefined): Problem[] {
  const problems: Problem[] = [];
  for (const { file, name } of testReferences(doc)) {
    const source = readTest(file);
    if (source === undefined) problems.push(`the doc names ${file}, which does not exist`);
    else if (!source.replaceAll("\\'", "'").includes(name)) problems.push(`the doc names the test "${name}", which ${file} does not have`);
  }
  return problems;
}

/** The state node at `path` (dot-separated child keys below the root), if the machine has it. */
export function stateAt(machine: AnyStateMachine, path: readonly string[]): AnyStateNode | undefined {
  let node: AnyStateNode | undefined = machine.root;
  for (const key of path) node = node?.states[key];
  return node;
}

/** Event types a state or one of its ancestors has a transition for. */
function handledEvents(node: AnyStateNode): Set<string> {
  const events = new Set<string>();
  for (let at: AnyStateNode | undefined = node; at !== undefined; at = at.parent) {
    for (const event of Object.keys(at.on)) events.add(event);
  }
  return events;
}

/**
 * Problems of the chart references: every `#machine.path` must be a state of that machine, and
 * in "`#machine.path` on `event`" the state (or an ancestor) must handle the event.
 */
export function chartProblems(doc: string, machines: Readonly<Record<string, AnyStateMachine>>): Problem[] {
  const problems: Problem[] = [];
  const nodeOf = (reference: string): AnyStateNode | undefined => {
    const [id, ...path] = reference.split('.');
    const machine = machines[id!];
    return machine === undefined ? undefined : stateAt(machine, path);
  };
  for (const match of doc.matchAll(/`#([\w.]+)`/g)) {
    if (nodeOf(match[1]!) === undefined) problems.push(`the doc names the state #${match[1]}, which its chart does not have`);
  }
  for (const match of doc.matchAll(/`#([\w.]+)` on `([\w.*]+)`/g)) {
    const node = nodeOf(match[1]!);
    if (node !== undefined && !handledEvents(node).has(match[2]!)) {
      problems.push(`the doc says #${match[1]} handles \`${match[2]}\`, which neither it nor an ancestor does`);
    }
  }
  return problems;
}
