// @ts-check
/**
 * The page at /stately: the Stately inspector (loaded from stately.ai, for those who can reach
 * it) in a frame, fed with the relay's frames through `postMessage`, as `@statelyai/inspect`'s
 * own server does. Frames wait until the inspector says it is ready.
 */
import { linkToRelay } from './relay-link.js';

const STATELY_ORIGIN = 'https://stately.ai';
const frame = /** @type {HTMLIFrameElement} */ (document.getElementById('stately'));
const status = /** @type {HTMLElement} */ (document.getElementById('relay-status'));
const counter = /** @type {HTMLElement} */ (document.getElementById('forwarded'));
/** @type {unknown[]} */
const waiting = [];
let ready = false;
let forwarded = 0;

/** @param {unknown} message */
function forward(message) {
  frame.contentWindow?.postMessage(message, STATELY_ORIGIN);
  counter.textContent = `${++forwarded} frames forwarded`;
}

window.addEventListener('message', (event) => {
  if (event.origin !== STATELY_ORIGIN || event.data?.type !== '@statelyai.connected') return;
  ready = true;
  waiting.splice(0).forEach(forward);
});

linkToRelay({
  up: () => {
    status.dataset['status'] = 'connected';
    status.textContent = 'relay connected';
  },
  down: () => {
    status.dataset['status'] = 'disconnected';
    status.textContent = 'relay unreachable, retrying';
  },
  frame: (message) => {
    if (ready) forward(message);
    // Bounded like the package's own bridge: the oldest frames go first.
    else if (waiting.push(message) > 5_000) waiting.shift();
  },
});
