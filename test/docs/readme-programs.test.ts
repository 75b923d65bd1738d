/** The convention by which README blocks become programs (`readme-programs.ts`). */
import { describe, expect, it } from 'vitest';
import { pointAtReadme, readmePrograms } from './readme-programs.js';

const sample = [
  '# title', //                       1
  '## Use', //                        2
  '```ts', //                         3
  'const a = 1;', //                  4
  '```', //                           5
  'Continued:', //                    6
  '', //                              7
  '<!-- continues: a note -->', //    8
  '', //                              9
  '```ts', //                        10
  'console.log(a);', //              11
  '```', //                          12
  '```sh', //                        13
  'npm test', //                     14
  '```', //                          15
  '```ts', //                        16
  'const b = 2;', //                 17
  '```', //                          18
  '## The server', //                19
  '<!-- continues -->', //           20
  'prose ends the marker', //        21
  '```ts', //                        22
  'const c = 3;', //                 23
  '```', //                          24
].join('\n');

describe('README programs', () => {
  it('joins a block after <!-- continues --> to the one before, names programs by section, skips other fences', () => {
    const programs = readmePrograms(sample);
    expect(programs.map((p) => [p.name, p.section, p.source])).toEqual([
      ['use', 'Use', 'const a = 1;\nconsole.log(a);\n'],
      ['use-2', 'Use', 'const b = 2;\n'],
      ['the-server', 'The server', 'const c = 3;\n'],
    ]);
    expect(programs[0]?.readmeLines).toEqual([4, 11]);
  });

  it("points compiler positions at the README line they came from", () => {
    const programs = readmePrograms(sample);
    expect(pointAtReadme("use.ts(2,13): error TS2304: Cannot find name 'a'.", programs)).toBe("use.ts(2,13) [README.md:11]: error TS2304: Cannot find name 'a'.");
  });

  it('refuses a marker not followed by a ts block, and a block that never ends', () => {
    expect(() => readmePrograms('<!-- continues -->\n```ts\nx\n```\n')).toThrow(/before the first ts block/);
    expect(() => readmePrograms('```ts\nx\n```\n<!-- continues -->\n```sh\nls\n```\n')).toThrow(/must be followed by a ts block/);
    expect(() => readmePrograms('```ts\nx\n')).toThrow(/never ends/);
  });
});
