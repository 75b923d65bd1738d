// @ts-check
/**
 * The page's link to the relay it was served by. When the relay goes away (restarted, say) the
 * link retries every second or two, and on each new connection the relay replays the live
 * actors, so the page starts from a clean model then.
 */

/**
 * @typedef {{ up: () => void, down: () => void, frame: (frame: unknown) => void }} LinkHandlers
 */

/** @param {LinkHandlers} handlers */
export function linkToRelay(handlers) {
  let delay = 250;
  const connect = () => {
    const socket = new WebSocket(`ws://${location.host}/`);
    socket.addEventListener('open', () => {
      delay = 250;
      handlers.up();
    });
    socket.addEventListener('message', (message) => {
      if (typeof message.data !== 'string') return;
      try {
        handlers.frame(JSON.parse(message.data));
      } catch {
        // The relay checks every frame it passes on; a bad one is skipped, not fatal.
      }
    });
    socket.addEventListener('close', () => {
      handlers.down();
      setTimeout(connect, delay);
      delay = Math.min(2_000, delay * 2);
    });
  };
  connect();
}
