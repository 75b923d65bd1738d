// @ts-check
/**
 * Where a chart is zoomed to follow its active states, as plain geometry (no page), so the
 * rule is tested apart from the browser. A whole session chart shown in a page's width draws
 * its 12-unit text a few pixels high; the focus shows the active states and their neighbours
 * at a scale where text stays readable.
 */

/** @typedef {{ x: number, y: number, width: number, height: number }} Box */

/** The smallest rendered text height, in px, the focus allows. */
export const MIN_TEXT_PX = 10;
/** How far the focus zooms in at most: the drawn size (more blows small states up and hides their neighbours). */
export const MAX_ZOOM = 1;
/** Room left around the focused states, in chart units. */
export const MARGIN = 24;

/** @param {Box} a @param {Box} b @returns {Box} */
export function union(a, b) {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}

/** @param {Box} box @param {number} margin @returns {Box} */
const grow = (box, margin) => ({ x: box.x - margin, y: box.y - margin, width: box.width + 2 * margin, height: box.height + 2 * margin });

/**
 * The active leaves of `lit`: the lit paths no other lit path lies under.
 * @param {string[]} lit @returns {string[]}
 */
export function activeLeaves(lit) {
  return lit.filter((path) => !lit.some((other) => other.startsWith(`${path}.`)));
}

/**
 * @typedef {object} FocusInput
 * @property {string[]} lit the active state paths (`session.lifecycle.paused`, …), in chart order
 * @property {(path: string) => Box | undefined} boxOf where state `path` is drawn
 * @property {(path: string) => string[]} targetsOf the states `path`'s transitions go to (none if the chart does not say)
 * @property {Box} whole the whole chart
 * @property {{ width: number, height: number }} view the container's size in px
 * @property {number} fontSize the chart's text size in chart units
 */

/**
 * The viewBox that follows `lit`. Boxes are taken in order of importance while together they
 * still fit at a readable scale: each active leaf with its parent (its siblings, the states it
 * most likely goes to next), the first leaf first (the session's lifecycle, before its
 * connection region); else the leaf alone; then the leaves' transition targets. The result has
 * the container's aspect, is zoomed in no more than `MAX_ZOOM`, and is `whole` when nothing is lit.
 * @param {FocusInput} input @returns {Box}
 */
export function focusBox({ lit, boxOf, targetsOf, whole, view, fontSize }) {
  if (view.width <= 0 || view.height <= 0) return whole;
  const minScale = MIN_TEXT_PX / fontSize;
  const maxWidth = view.width / minScale;
  const maxHeight = view.height / minScale;
  /** @param {Box} box */
  const fits = (box) => box.width <= maxWidth && box.height <= maxHeight;
  const leaves = activeLeaves(lit);
  /** @type {Box | undefined} */
  let focus;
  /** @param {Box | undefined} box @param {boolean} [first] a leaf itself, taken when nothing is yet @returns {boolean} */
  const take = (box, first = false) => {
    if (box === undefined) return false;
    const next = focus === undefined ? grow(box, MARGIN) : union(focus, grow(box, MARGIN));
    if (!fits(next) && !(first && focus === undefined)) return false;
    focus = next;
    return true;
  };
  for (const leaf of leaves) {
    const parent = leaf.slice(0, Math.max(0, leaf.lastIndexOf('.')));
    if (!take(parent === '' ? undefined : boxOf(parent))) take(boxOf(leaf), true);
  }
  for (const leaf of leaves) for (const target of targetsOf(leaf)) take(boxOf(target));
  if (focus === undefined) return whole;
  // A first box too big to be readable is centred on its leaf at the smallest readable scale.
  const scale = Math.min(MAX_ZOOM, Math.max(minScale, Math.min(view.width / focus.width, view.height / focus.height)));
  const width = view.width / scale;
  const height = view.height / scale;
  const first = leaves[0] === undefined ? undefined : boxOf(leaves[0]);
  const centre = fits(focus) || first === undefined ? focus : first;
  // Kept inside the chart where it can be: a state at its edge shows the chart beside it, not blank.
  /** @param {number} at @param {number} size @param {number} start @param {number} extent */
  const inside = (at, size, start, extent) => (size >= extent ? start + extent / 2 - size / 2 : Math.min(Math.max(at, start), start + extent - size));
  const x = inside(centre.x + centre.width / 2 - width / 2, width, whole.x, whole.width);
  const y = inside(centre.y + centre.height / 2 - height / 2, height, whole.y, whole.height);
  return { x, y, width, height };
}
