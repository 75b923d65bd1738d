/**
 * Everything `scripts/visualize.ts` writes for one machine, computed in memory so that
 * writing and `--check` share one code path.
 */
import type { AnyStateMachine } from 'xstate';
import { chartOf } from './chart-graph.js';
import { layoutChart } from './chart-layout.js';
import { toMermaid } from './mermaid-writer.js';
import { toSvg } from './svg-writer.js';

/** One generated file, named relative to the output folder. */
export interface RenderedFile {
  readonly name: string;
  readonly content: string;
}

/** `<name>.svg` and `<name>.mmd` for `machine`. */
export async function renderMachine(name: string, machine: AnyStateMachine): Promise<RenderedFile[]> {
  const chart = chartOf(machine);
  const laidOut = await layoutChart(chart);
  return [
    { name: `${name}.svg`, content: toSvg(laidOut) },
    { name: `${name}.mmd`, content: toMermaid(chart) },
  ];
}
