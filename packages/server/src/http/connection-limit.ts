import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Marks a connection opened beyond its address's limit. */
const OVER_LIMIT = Symbol('tamga.overConnectionLimit');

/** How long a connection beyond the limit may stay open without sending a request. */
const OVER_LIMIT_IDLE_MS = 1_000;

/**
 * Counts the open connections of each client address on `server` and marks those beyond `max` (0 = no limit), the
 * way nginx's `limit_conn` does: a request arriving on a marked connection is answered 429 and the connection closes
 * ({@link isOverConnectionLimit}); a marked connection that sends nothing is closed after a second.
 */
export function limitConnectionsPerIp(server: Server, max: number): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (open.get(address) ?? 0) + 1;
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
    if (count > max) {
      (socket as Socket & { [OVER_LIMIT]?: boolean })[OVER_LIMIT] = true;
      socket.setTimeout(OVER_LIMIT_IDLE_MS, () => socket.destroy());
    }
  });
}

/** Whether a request's connection was opened beyond its address's limit ({@link limitConnectionsPerIp}). */
export function isOverConnectionLimit(socket: Socket): boolean {
  return (socket as Socket & { [OVER_LIMIT]?: boolean })[OVER_LIMIT] === true;
}
