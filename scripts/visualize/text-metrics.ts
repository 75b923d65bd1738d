/**
 * The one place that decides how big text is. Layout and drawing must agree on it, and widths
 * are estimated per character rather than measured so the output is identical on every machine.
 */

/** Monospace first, so the per-character estimate holds wherever the SVG is opened. */
export const FONT_FAMILY = "'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace";

/** Body text: box lines and edge labels. */
export const TEXT_SIZE = 12;
/** Advance of one character at `TEXT_SIZE` (DejaVu Sans Mono is 0.602 em), rounded up. */
export const CHAR_WIDTH = 7.25;

/** State names, bold. */
export const HEADER_SIZE = 13;
export const HEADER_CHAR_WIDTH = 7.85;

/** Baseline-to-baseline distance of body text. */
export const LINE_HEIGHT = 16;
/** Height of the band holding a state's name. */
export const HEADER_HEIGHT = 24;
/** Distance from the top of the name band to the name's baseline. */
export const HEADER_BASELINE = 16;
/** Distance from the top of a body line to its baseline. */
export const LINE_BASELINE = 12;
/** Inner margin between a box's border and its text. */
export const TEXT_INSET = 10;

/** Estimated width of `text` in body text, or in header text with `HEADER_CHAR_WIDTH`. */
export function textWidth(text: string, charWidth: number = CHAR_WIDTH): number {
  // Count code points, not UTF-16 units, so `→` is one character wide.
  return [...text].length * charWidth;
}
