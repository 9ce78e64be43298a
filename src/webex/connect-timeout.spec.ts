import { EventEmitter } from 'node:events';
import { type ClientRequest, type IncomingMessage, createServer } from 'node:http';
import { type AddressInfo, type Server, type Socket, createServer as createTcpServer } from 'node:net';
import { CONNECT_TIMEOUT_CODE, connectTimeoutTransport, watchConnect } from './connect-timeout';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Runs one request through the transport; resolves with the status or the error code. */
function send(url: string, connectTimeoutMs: number): Promise<number | string | undefined> {
  const { protocol, hostname, port, pathname } = new URL(url);
  return new Promise((resolve) => {
    const req = connectTimeoutTransport(connectTimeoutMs).request(
      { protocol, hostname, port, path: pathname, method: 'GET', rejectUnauthorized: false } as never,
      (res: IncomingMessage) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    // Should the watchdog not fire, fail with a code of our own instead of hanging the suite.
    const guard = setTimeout(() => req.destroy(Object.assign(new Error('guard'), { code: 'SPEC_GUARD' })), 2000);
    req.on('close', () => clearTimeout(guard));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code));
    req.end();
  });
}

describe(connectTimeoutTransport.name, () => {
  it('gives up on a connection whose TLS handshake never completes', async () => {
    // Loopback always completes the TCP handshake, so the TLS one is what can hang here: a server
    // that accepts and never says a word stands in for a black-holed Webex.
    const sockets = new Set<Socket>();
    const silent = createTcpServer((socket) => sockets.add(socket));
    const port = await listen(silent);
    try {
      const started = Date.now();
      await expect(send(`https://127.0.0.1:${port}/v1/people/me`, 150)).resolves.toBe(CONNECT_TIMEOUT_CODE);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('does not cut an answer that is slower than the connect timeout once connected', async () => {
    const slow = createServer((_req, res) => setTimeout(() => res.end('ok'), 300));
    const port = await listen(slow);
    try {
      await expect(send(`http://127.0.0.1:${port}/`, 100)).resolves.toBe(200);
    } finally {
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    }
  });
});

describe(watchConnect.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function fakes(connecting: boolean) {
    const socket = Object.assign(new EventEmitter(), { connecting }) as unknown as Socket;
    const destroy = jest.fn();
    const req = Object.assign(new EventEmitter(), { destroy }) as unknown as ClientRequest;
    return { socket, req, destroy };
  }

  it('destroys the request with its code when the socket does not connect in time', () => {
    const { socket, req, destroy } = fakes(true);
    watchConnect(req, socket, 200);
    jest.advanceTimersByTime(199);
    expect(destroy).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(destroy).toHaveBeenCalledWith(expect.objectContaining({ code: CONNECT_TIMEOUT_CODE }));
  });

  it('stands down once the socket connects, or the request ends first', () => {
    const connected = fakes(true);
    watchConnect(connected.req, connected.socket, 200);
    connected.socket.emit('connect');
    const closed = fakes(true);
    watchConnect(closed.req, closed.socket, 200);
    closed.req.emit('close');
    jest.advanceTimersByTime(1000);
    expect(connected.destroy).not.toHaveBeenCalled();
    expect(closed.destroy).not.toHaveBeenCalled();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('leaves a reused keep-alive socket alone', () => {
    const { socket, req, destroy } = fakes(false);
    watchConnect(req, socket, 200);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(destroy).not.toHaveBeenCalled();
  });
});
