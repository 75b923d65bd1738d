// @ts-check
/**
 * What the timeline calls an event: a line a newcomer can read (`upload 12.3 kB / 1 MB`,
 * `timer pongTimeout fired in connection.online.connected.awaitingPong`) instead of the raw
 * type, most of them `progress`; and the event itself, as bounded JSON, for the details pane.
 */

/** @param {unknown} value @returns {value is Record<string, unknown>} */
const isRecord = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A byte count in decimal units: `512 B`, `12.3 kB`, `1.06 MB` (two decimals from MB on).
 * @param {number} bytes @returns {string}
 */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return `${bytes} B`;
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  // Two decimals from MB on: a sync's last steps (1.004 MB of 1.006 MB) should not read the same.
  const places = unit === 0 ? 1 : unit === 1 ? 10 : 100;
  const shown = String(Math.round(value * places) / places);
  return `${shown} ${units[unit]}`;
}

/** A field's value in a title: scalars as they are, cut short; anything else left out. @param {unknown} value */
const scalar = (value) => {
  if (typeof value === 'string') return value.length > 24 ? `${value.slice(0, 23)}…` : value;
  if (typeof value === 'number') return String(value);
  return undefined;
};

/**
 * The timeline's name for `event`. XState's own events (`xstate.done.actor.<id>`,
 * `xstate.error.actor.<id>`, `xstate.after.<delay>.<state>`) say what happened; the chart's
 * events keep their type (the chart's transitions are labelled by it) followed by up to three
 * of their scalar fields, `progress` as its direction and byte counts.
 * @param {{ type: string, [field: string]: unknown }} event @returns {string}
 */
export function eventTitle(event) {
  const type = event.type;
  if (type === 'progress') {
    const direction = typeof event['direction'] === 'string' ? event['direction'] : 'progress';
    const transferred = typeof event['transferred'] === 'number' ? event['transferred'] : 0;
    const transferable = typeof event['transferable'] === 'number' ? event['transferable'] : 0;
    return `${direction} ${formatBytes(transferred)} / ${formatBytes(transferable)}`;
  }
  if (type === 'xstate.init') return 'started';
  if (type === 'xstate.stop') return 'stopped';
  const done = /^xstate\.done\.actor\.(.+)$/.exec(type);
  if (done !== null) return `${done[1]} finished`;
  const failed = /^xstate\.error\.actor\.(.+)$/.exec(type);
  if (failed !== null) return `${failed[1]} failed`;
  // `xstate.after.<delay>.<state id>`: the delay is a number of ms or a named delay.
  const after = /^xstate\.after\.([^.]+)\.(.+)$/.exec(type);
  if (after !== null) {
    const delay = /^\d+$/.test(after[1] ?? '') ? `${after[1]} ms` : after[1];
    return `timer ${delay} fired in ${after[2]}`;
  }
  const fields = Object.entries(event)
    .filter(([key]) => key !== 'type')
    // A flag says little bare (`false`): it is named.
    .map(([key, value]) => (typeof value === 'boolean' ? `${key}=${value}` : key === 'error' && isRecord(value) ? scalar(value['message']) ?? scalar(value['name']) : scalar(value)))
    .filter((value) => value !== undefined && value !== '')
    .slice(0, 3);
  return fields.length === 0 ? type : `${type} ${fields.join(' ')}`;
}

/** How many characters of an event's JSON the details pane shows. */
export const MAX_DETAILS_CHARS = 4_000;

/**
 * `event` as pretty-printed JSON, cut at `limit` characters (then saying how many were left out):
 * an event can carry a large error or changeset, and the pane should stay a pane.
 * @param {unknown} event @param {number} [limit] @returns {string}
 */
export function eventDetails(event, limit = MAX_DETAILS_CHARS) {
  let text;
  try {
    text = JSON.stringify(event, null, 2) ?? String(event);
  } catch {
    text = String(event);
  }
  return text.length <= limit ? text : `${text.slice(0, limit)}\n… (${text.length - limit} more characters)`;
}
