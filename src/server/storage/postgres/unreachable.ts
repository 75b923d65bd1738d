/**
 * Whether an error of the PostgreSQL backend says the database cannot be reached at all (its
 * connection refused, cut, timed out, the server shutting down or out of connections), as
 * opposed to one statement failing. A node in that state serves nothing, so the sync server
 * closes its sockets (`storageUnavailable`) and its clients go to another node.
 */

/** SQLSTATEs of a database out of reach: class 08 (connection exception), shutdowns, too many connections. */
const UNREACHABLE_STATE = /^(08...|57P0[1-3]|53300)$/;

/** Node's socket errors of a peer out of reach. */
const UNREACHABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);

/** What `pg` says, without a code, when a connection dies or cannot be had. */
const UNREACHABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not open|the connection died/i;

/** True when `error` (or an error it was caused by, a few levels down) is one of those; never throws. */
export function isDatabaseUnreachable(error: unknown): boolean {
  try {
    return unreachable(error);
  } catch {
    // Asked from inside error handling: an error of an odd shape is just not one of those.
    return false;
  }
}

function unreachable(error: unknown): boolean {
  let current: unknown = error;
  // Bounded: a cause chain may loop.
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && (UNREACHABLE_STATE.test(code) || UNREACHABLE_ERRNO.has(code))) return true;
    if (typeof message === 'string' && UNREACHABLE_MESSAGE.test(message)) return true;
    current = cause;
  }
  return false;
}
