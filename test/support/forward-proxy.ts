import {
  Agent,
  createServer,
  request as forward,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, type Socket, connect } from 'node:net';

/** One thing the proxy was asked to do. */
export interface ProxiedExchange {
  /** The request method, or CONNECT for a tunnel. */
  method: string;
  /** The absolute-form target (`http://host:port/path?query`), or `host:port` for a tunnel. */
  target: string;
}

export interface ForwardProxy {
  /** `http://127.0.0.1:<port>`, for HTTP_PROXY / HTTPS_PROXY. */
  url: string;
  /** Everything asked of the proxy so far, in order. */
  readonly seen: ProxiedExchange[];
  close(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the proxy's own: never passed on. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const kept: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) kept[name] = value;
  return kept;
}

/**
 * A small forward proxy on 127.0.0.1, as a company network has: plain-http requests in absolute
 * form (`GET http://host/path HTTP/1.1`) are sent on, and CONNECT opens a tunnel (which is all it
 * sees of an https exchange). It records what it was asked, and keeps connections alive both ways.
 */
export async function startForwardProxy(): Promise<ForwardProxy> {
  const seen: ProxiedExchange[] = [];
  const upstreamAgent = new Agent({ keepAlive: true });
  const tunnels = new Set<Socket>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? '';
    seen.push({ method: req.method ?? '', target });
    let url: URL;
    try {
      url = new URL(target);
      if (url.protocol !== 'http:') throw new Error('not http');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('absolute-form http:// targets only');
      return;
    }
    const out = forward(url, { method: req.method, headers: endToEnd(req.headers), agent: upstreamAgent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers));
      answer.pipe(res);
    });
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('upstream failed');
      else res.destroy();
    });
    req.pipe(out);
  });

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    seen.push({ method: 'CONNECT', target });
    const [, host, port] = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target) ?? [];
    if (!host) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      tunnels.add(socket);
      socket.on('close', () => tunnels.delete(socket));
    }
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => {
      tunnels.forEach((socket) => socket.destroy());
      upstreamAgent.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
