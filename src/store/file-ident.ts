/** A realm file's ident: who the file is to the server, new at creation and at each client reset. */
import { randomBytes } from 'node:crypto';

/** A fresh file ident: 8 random bytes in hex (16 digits). */
export function newFileIdent(): string {
  return randomBytes(8).toString('hex');
}
