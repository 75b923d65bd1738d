/**
 * The README's TypeScript examples as the programs a user would copy.
 *
 * The convention (README.md follows it; keep it that simple):
 * - every ```ts block is a program of its own, importing from `sync-session` (or a subpath)
 *   exactly as a user's code does;
 * - a block right after a line `<!-- continues -->` (or `<!-- continues: any note -->`; blank
 *   lines between allowed) continues the program of the ```ts block before it: their text is
 *   joined, in order, into one file;
 * - ```sh blocks and other fences are not programs.
 * A program is named after the `## ` section its first block is in (`use`, `the-server`, …),
 * with `-2`, `-3` for further programs of one section.
 */

/** One program: its source and, per line of it, the README line it came from. */
export interface ReadmeProgram {
  /** File name without extension, from the section heading. */
  readonly name: string;
  /** The `## ` heading of the section its first block is in. */
  readonly section: string;
  readonly source: string;
  /** `readmeLines[i]` is the 1-based README line of the program's line `i + 1`. */
  readonly readmeLines: readonly number[];
}

const CONTINUES = '<!-- continues -->';
const continuesMarker = /^<!-- continues(:.*)? -->$/;

/** Splits README text into its TypeScript programs (see the convention above). */
export function readmePrograms(readme: string): ReadmeProgram[] {
  const lines = readme.split('\n');
  const programs: Array<{ name: string; section: string; body: string[]; readmeLines: number[] }> = [];
  const perSection = new Map<string, number>();
  let section = '';
  let continues = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('## ')) section = line.slice(3).trim();
    if (continuesMarker.test(line.trim())) {
      continues = true;
      continue;
    }
    const fence = /^```(\S*)\s*$/.exec(line);
    if (fence === null) {
      // The marker holds only across blank lines: prose between it and a block ends it.
      if (line.trim() !== '') continues = false;
      continue;
    }
    const body: string[] = [];
    const at: number[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.startsWith('```'); j++) {
      body.push(lines[j]!);
      at.push(j + 1);
    }
    if (j === lines.length) throw new Error(`README.md:${i + 1}: a code block that never ends`);
    if (fence[1] === 'ts') {
      const last = programs.at(-1);
      if (continues) {
        if (last === undefined) throw new Error(`README.md:${i + 1}: ${CONTINUES} before the first ts block`);
        last.body.push(...body);
        last.readmeLines.push(...at);
      } else {
        const slug = section.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'top';
        const count = (perSection.get(slug) ?? 0) + 1;
        perSection.set(slug, count);
        programs.push({ name: count === 1 ? slug : `${slug}-${count}`, section, body, readmeLines: at });
      }
    } else if (continues) {
      throw new Error(`README.md:${i + 1}: ${CONTINUES} must be followed by a ts block`);
    }
    continues = false;
    i = j;
  }
  return programs.map(({ name, section: s, body, readmeLines }) => ({ name, section: s, source: `${body.join('\n')}\n`, readmeLines }));
}

/**
 * Compiler output with each `name.ts(line,col)` position of a program followed by its README
 * line, so that a broken example points at the README, not at a generated file.
 */
export function pointAtReadme(output: string, programs: readonly ReadmeProgram[]): string {
  const byFile = new Map(programs.map((p) => [`${p.name}.ts`, p]));
  return output.replace(/([\w.-]+\.ts)\((\d+),(\d+)\)/g, (whole, file: string, line: string) => {
    const readmeLine = byFile.get(file)?.readmeLines[Number(line) - 1];
    return readmeLine === undefined ? whole : `${whole} [README.md:${readmeLine}]`;
  });
}
