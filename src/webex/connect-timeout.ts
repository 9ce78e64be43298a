import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/** The error code of a connection that was not established in time. */
export const CONNECT_TIMEOUT_CODE = 'ECONNECT_TIMEOUT';

/**
 * Destroys `req` with CONNECT_TIMEOUT_CODE unless `socket` is connected (and TLS set up) within `ms`.
 * Call it from the request's 'socket' event. A reused keep-alive socket is not watched at all.
 *
 * Why a watchdog of its own: Node's `ClientRequest#setTimeout` only starts once connected, and a
 * deadline on the whole exchange, set to a connect-sized value, would also cut a slow but healthy answer.
 */
export function watchConnect(req: ClientRequest, socket: Socket, ms: number): void {
  // A pooled keep-alive socket is already connected. A new one is still connecting here: the
  // 'socket' event comes a tick after the agent created it, before any I/O could complete.
  if (!socket.connecting) return;
  const established = socket instanceof TLSSocket ? 'secureConnect' : 'connect';
  const timer = setTimeout(() => {
    req.destroy(Object.assign(new Error(`connection not established within ${ms} ms`), { code: CONNECT_TIMEOUT_CODE }));
  }, ms);
  const stop = (): void => {
    clearTimeout(timer);
    socket.off(established, stop);
    req.off('close', stop);
  };
  socket.once(established, stop);
  req.once('close', stop);
}
