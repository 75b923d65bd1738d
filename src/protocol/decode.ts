import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { clientCodecs, serverCodecs, type ClientMessage, type EncodableServerMessage, type ServerMessage } from './messages.js';

/** Why a frame is not a message: the error code to answer with, a readable reason, the session if known. */
export interface DecodeFailure {
  readonly code: 'badJson' | 'unknownMessage' | 'badMessage';
  readonly message: string;
  readonly session?: number;
}

const describe = (value: unknown): string => {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return 'a value too deep or too odd to show';
  }
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

type Tagged = { readonly _tag?: string; readonly type?: unknown };

/** Whether a codec tries branches (a union or an intersection, possibly under `readonly`/`exact`). */
function isBranching(codec: unknown): boolean {
  const tagged = codec as Tagged | undefined;
  if (tagged?._tag === 'UnionType' || tagged?._tag === 'IntersectionType') return true;
  if (tagged?._tag === 'ReadonlyType' || tagged?._tag === 'ExactType') return isBranching(tagged.type);
  return false;
}

/**
 * io-ts errors as `path: expected Type, got value` lines. Union branches add a context entry
 * per branch tried; only the innermost failure of each is worth a line, so the branch keys
 * are left out of the path.
 */
export function readableErrors(errors: t.Errors): string {
  const lines = errors.map((error) => {
    const path: string[] = [];
    error.context.forEach((entry, i) => {
      const inBranch = isBranching(error.context[i - 1]?.type);
      if (entry.key !== '' && !inBranch) path.push(entry.key);
    });
    const last = error.context[error.context.length - 1];
    // A codec that knows why (a key over its limit) says so; the others only name what they take.
    const why = error.message === undefined ? '' : ` (${error.message})`;
    return `${path.join('.') || '(message)'}: expected ${last?.type.name ?? 'a value'}, got ${describe(error.value)}${why}`;
  });
  return [...new Set(lines)].slice(0, 5).join('; ');
}

function decodeWith<M>(
  codecs: Readonly<Record<string, t.Decoder<unknown, M>>>,
  raw: string | Uint8Array,
): Either<DecodeFailure, M> {
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    return left({ code: 'badJson', message: 'the frame is not UTF-8 JSON' });
  }
  const type = typeof value === 'object' && value !== null && 'type' in value ? (value as { type: unknown }).type : undefined;
  const codec = typeof type === 'string' && Object.hasOwn(codecs, type) ? codecs[type] : undefined;
  if (codec === undefined) return left({ code: 'unknownMessage', message: `no message has type ${describe(type)}` });
  let decoded: t.Validation<M>;
  try {
    decoded = codec.decode(value);
  } catch (error) {
    // A codec should not throw; if one does (a pathological input), the frame is still refused.
    return left({ code: 'badMessage', message: `${type}: cannot be read (${error instanceof Error ? error.message : String(error)})` });
  }
  if (decoded._tag === 'Right') return right(decoded.right);
  const session = (value as { session?: unknown }).session;
  return left({
    code: 'badMessage',
    message: `${type}: ${readableErrors(decoded.left)}`,
    ...(typeof session === 'number' && Number.isSafeInteger(session) && session > 0 ? { session } : {}),
  });
}

/** Decodes one frame from a client. Never throws: every failure is a `Left` with its error code. */
export const decodeClientMessage = (raw: string | Uint8Array): Either<DecodeFailure, ClientMessage> =>
  decodeWith(clientCodecs as Readonly<Record<string, t.Decoder<unknown, ClientMessage>>>, raw);

/** Decodes one frame from a server. Never throws: every failure is a `Left`. */
export const decodeServerMessage = (raw: string | Uint8Array): Either<DecodeFailure, ServerMessage> =>
  decodeWith(serverCodecs as Readonly<Record<string, t.Decoder<unknown, ServerMessage>>>, raw);

/** Encodes a message with its own codec, as one JSON text frame. */
export function encodeMessage(message: ClientMessage | EncodableServerMessage, side: 'client' | 'server'): string {
  const codecs = (side === 'client' ? clientCodecs : serverCodecs) as Readonly<Record<string, t.Encoder<unknown, unknown>>>;
  const codec = codecs[message.type];
  if (codec === undefined) throw new TypeError(`no ${side} message has type ${message.type}`);
  return JSON.stringify(codec.encode(message));
}
