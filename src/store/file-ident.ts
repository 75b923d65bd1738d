/** A realm file's ident: who the file is to the server, new at creation and at each client reset. */
import { randomHex, type RandomSource } from '../time/random-source.js';

/** A fresh file ident: 8 bytes of `random` in hex (16 digits). */
export function newFileIdent(random: RandomSource): string {
  return randomHex(random, 8);
}
