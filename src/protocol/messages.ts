import type * as t from 'io-ts';
import { BindCodec } from './client/bind.codec.js';
import { ClientIdentCodec } from './client/ident.codec.js';
import { ClientMarkCodec } from './client/mark.codec.js';
import { PingCodec } from './client/ping.codec.js';
import { UnbindCodec } from './client/unbind.codec.js';
import { UploadCodec } from './client/upload.codec.js';
import { DownloadCodec } from './server/download.codec.js';
import { ErrorMessageCodec } from './server/error.codec.js';
import { ServerIdentCodec } from './server/ident.codec.js';
import { ServerMarkCodec } from './server/mark.codec.js';
import { PongCodec } from './server/pong.codec.js';
import { StateCodec } from './server/state.codec.js';
import { UnboundCodec } from './server/unbound.codec.js';

/** The codec of each client → server message, by its `type`. */
export const clientCodecs = {
  bind: BindCodec,
  ident: ClientIdentCodec,
  upload: UploadCodec,
  mark: ClientMarkCodec,
  unbind: UnbindCodec,
  ping: PingCodec,
} as const;

/** The codec of each server → client message, by its `type`. */
export const serverCodecs = {
  ident: ServerIdentCodec,
  download: DownloadCodec,
  state: StateCodec,
  mark: ServerMarkCodec,
  unbound: UnboundCodec,
  error: ErrorMessageCodec,
  pong: PongCodec,
} as const;

/** Any message a client sends. */
export type ClientMessage = { [K in keyof typeof clientCodecs]: t.TypeOf<(typeof clientCodecs)[K]> }[keyof typeof clientCodecs];
/** Any message a server sends. */
export type ServerMessage = { [K in keyof typeof serverCodecs]: t.TypeOf<(typeof serverCodecs)[K]> }[keyof typeof serverCodecs];
/**
 * Any message a server sends, as `encodeMessage` takes it: each codec's output type, where a
 * DOWNLOAD's changesets and a STATE's documents are plain (only decoding brands them, see `DecodedServerChangesets`).
 */
export type EncodableServerMessage = { [K in keyof typeof serverCodecs]: t.OutputOf<(typeof serverCodecs)[K]> }[keyof typeof serverCodecs];
