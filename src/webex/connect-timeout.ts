import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/** The error code of a connection that was not established in time. */
export const CONNECT_TIMEOUT_CODE = 'ECONNECT_TIMEOUT';

/** What axios hands to `transport.request`: Node's request options plus the target's protocol. */
type TransportOptions = http.RequestOptions & { protocol?: string | null };

/**
 * An axios `transport` that is Node's own http/https `request` plus a watchdog on establishing the
 * connection: TCP connect and, for https, the TLS handshake. The agent in the options is kept, so
 * keep-alive connections are reused as before, and a reused connection is not watched at all.
 *
 * Why not axios' `timeout`: in axios 1.x on Node it runs from the start of the request until the
 * response headers (then as a socket idle timeout), so set to a connect-sized value it would also
 * cut a slow but healthy answer; and Node's `ClientRequest#setTimeout` only starts once connected.
 */
export function connectTimeoutTransport(connectTimeoutMs: number) {
  return {
    request(options: TransportOptions, callback?: (res: http.IncomingMessage) => void): http.ClientRequest {
      const req = options.protocol === 'https:' ? https.request(options, callback) : http.request(options, callback);
      req.once('socket', (socket: Socket) => watchConnect(req, socket, connectTimeoutMs));
      return req;
    },
  };
}

/** Destroys `req` with CONNECT_TIMEOUT_CODE unless `socket` is connected (and TLS set up) within `ms`. */
export function watchConnect(req: http.ClientRequest, socket: Socket, ms: number): void {
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
