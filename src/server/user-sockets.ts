/**
 * Which sockets have a session of which user, to cap the sockets of one user
 * (`maxSocketsPerUser`): a socket counts for a user from its first session of that user until
 * its last one ends.
 */
export class UserSockets<Socket> {
  private readonly byUser = new Map<string, Set<Socket>>();

  constructor(readonly maxPerUser: number) {}

  /** Whether `socket` may bind a session of `userId`: it already has one, or the user has room. */
  admits(userId: string, socket: Socket): boolean {
    const sockets = this.byUser.get(userId);
    return sockets === undefined || sockets.has(socket) || sockets.size < this.maxPerUser;
  }

  /** `socket` has a session of `userId`. */
  add(userId: string, socket: Socket): void {
    const sockets = this.byUser.get(userId) ?? new Set<Socket>();
    sockets.add(socket);
    this.byUser.set(userId, sockets);
  }

  /** `socket` has no session of `userId` any more. */
  remove(userId: string, socket: Socket): void {
    const sockets = this.byUser.get(userId);
    sockets?.delete(socket);
    if (sockets?.size === 0) this.byUser.delete(userId);
  }
}
