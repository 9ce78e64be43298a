import axios, { AxiosError, type AxiosInstance } from 'axios';
import { type ClientRequest, type IncomingMessage, type RequestListener, type ServerResponse, Agent } from 'node:http';
import { createServer } from 'node:http';
import { type AddressInfo, type Server, type Socket, createServer as createTcpServer } from 'node:net';
import { CONNECT_TIMEOUT_CODE } from './connect-timeout';
import { nodeHttpAdapter } from './node-http.adapter';

interface Upstream {
  origin: string;
  /** TCP connections the server accepted. */
  connections: number;
  /** Resolves when every connection accepted so far has closed. */
  allClosed(): Promise<void>;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((server) => server.close()));
});

async function upstream(handler: RequestListener): Promise<Upstream> {
  const server = createServer(handler);
  const closed: Promise<void>[] = [];
  const result: Upstream = {
    origin: '',
    connections: 0,
    allClosed: () => Promise.all(closed).then(() => undefined),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connection', (socket: Socket) => {
    result.connections++;
    closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
  });
  result.origin = `http://127.0.0.1:${await listen(server)}`;
  opened.push(result);
  return result;
}

/** An axios instance set up like WebexModule's: base URL, keep-alive agent, this adapter. */
function client(baseURL: string, connectTimeoutMs = 1000): AxiosInstance {
  const agent = new Agent({ keepAlive: true });
  opened.push({ close: () => Promise.resolve(agent.destroy()) });
  return axios.create({ baseURL, httpAgent: agent, adapter: nodeHttpAdapter({ connectTimeoutMs }) });
}

/** What the server saw of one request. */
interface Seen {
  url?: string;
  method?: string;
  headers?: IncomingMessage['headers'];
  body?: string;
}

function recorder(seen: Seen, answer: (res: ServerResponse) => void = (res) => res.end('{"ok":true}')) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      Object.assign(seen, {
        url: req.url,
        method: req.method,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      answer(res);
    });
  };
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as AxiosError,
  );

describe(nodeHttpAdapter.name, () => {
  it('builds the URL from baseURL, url and params exactly as axios does', async () => {
    const seen: Seen = {};
    const server = await upstream(recorder(seen));
    const params = { max: 3, sortBy: 'lastactivity', q: 'a b:c,$d/é&=?', at: new Date(0), on: true, gone: undefined };
    const config = { baseURL: `${server.origin}/v1/`, url: '/rooms?x=1#frag', params };

    await client(config.baseURL).request({ url: config.url, params });

    expect(seen.url).toBe(new URL(axios.getUri(config)).pathname + new URL(axios.getUri(config)).search);
    expect(seen.url).toBe(
      '/v1/rooms?x=1&max=3&sortBy=lastactivity&q=a+b:c,$d%2F%C3%A9%26%3D%3F&at=1970-01-01T00:00:00.000Z&on=true',
    );
  });

  it('sends an absolute url as it is, ignoring baseURL', async () => {
    const seen: Seen = {};
    const server = await upstream(recorder(seen));
    await client('http://127.0.0.1:1/v1').get(`${server.origin}/v1/rooms?cursor=abc`);
    expect(seen.url).toBe('/v1/rooms?cursor=abc');
  });

  it('sends the headers, asks for no compression even when told to, and names itself', async () => {
    const seen: Seen = {};
    const server = await upstream(recorder(seen));
    await client(server.origin).get('/people/me', {
      headers: { authorization: 'Bearer the-token', accept: 'application/json', 'Accept-Encoding': 'gzip, br' },
    });
    expect(seen.headers).toMatchObject({
      authorization: 'Bearer the-token',
      accept: 'application/json',
      'accept-encoding': 'identity',
      'user-agent': expect.stringMatching(/^axios\//),
    });
  });

  it('sends a POST body with its content type and length', async () => {
    const seen: Seen = {};
    const server = await upstream(recorder(seen));
    const body = 'grant_type=refresh_token&refresh_token=r%C3%A9';
    await client(server.origin).post('/access_token', body, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(seen).toMatchObject({ method: 'POST', body });
    expect(seen.headers).toMatchObject({
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(Buffer.byteLength(body)),
    });
  });

  it('resolves any status when validateStatus accepts it, with the body as text and lower-cased headers', async () => {
    const server = await upstream((_req, res) => {
      res.writeHead(503, 'Busy', { 'Retry-After': '30', TrackingID: 'ROUTER_1', 'content-type': 'application/json' });
      res.end('{"message":"busy"}');
    });
    const response = await client(server.origin).get('/rooms', { responseType: 'text', validateStatus: () => true });
    expect(response).toMatchObject({ status: 503, statusText: 'Busy', data: '{"message":"busy"}' });
    expect(response.headers['retry-after']).toBe('30');
    expect(response.headers.trackingid).toBe('ROUTER_1');
  });

  it("rejects a status axios' default validateStatus refuses, with the response on the error", async () => {
    const server = await upstream((_req, res) => {
      res.statusCode = 404;
      res.end('{"message":"nope"}');
    });
    const error = await failureOf(client(server.origin).get('/rooms'));
    expect(error).toBeInstanceOf(AxiosError);
    expect(error).toMatchObject({ code: 'ERR_BAD_REQUEST', response: { status: 404, data: { message: 'nope' } } });
  });

  it('does not follow a redirect', async () => {
    let followed = false;
    const server = await upstream((req, res) => {
      if (req.url === '/elsewhere') followed = true;
      res.writeHead(302, { location: '/elsewhere' }).end();
    });
    const response = await client(server.origin).get('/rooms', { validateStatus: () => true });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/elsewhere');
    expect(followed).toBe(false);
  });

  it('reuses a keep-alive connection across calls', async () => {
    const server = await upstream((_req, res) => res.end('{}'));
    const http = client(server.origin);
    await http.get('/a');
    await http.get('/b');
    await http.get('/c');
    expect(server.connections).toBe(1);
  });

  describe('a pooled connection the server closes as a request goes out on it', () => {
    /** Answers the first request of every connection; `reset` decides what happens to later ones. */
    async function resetting(reset: (requestNumber: number) => boolean) {
      let requests = 0;
      const bodies: string[] = [];
      const perSocket = new WeakMap<Socket, number>();
      const server = await upstream((req, res) => {
        const number = ++requests;
        const onSocket = (perSocket.get(req.socket) ?? 0) + 1;
        perSocket.set(req.socket, onSocket);
        if (onSocket > 1 && reset(number)) {
          req.socket.resetAndDestroy();
          return;
        }
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          bodies.push(Buffer.concat(chunks).toString('utf8'));
          res.end(`{"request":${number}}`);
        });
      });
      return { server, bodies, requests: () => requests };
    }

    const post = (http: AxiosInstance) =>
      http.post('/access_token', 'grant_type=authorization_code&code=c', { responseType: 'text', timeout: 2000 });

    it('sends the request once more, on a new connection, and returns that answer', async () => {
      const { server, bodies } = await resetting(() => true);
      const http = client(server.origin);
      await http.get('/people/me');

      const response = await post(http);

      expect(response.status).toBe(200);
      expect(response.data).toBe('{"request":3}');
      expect(server.connections).toBe(2);
      expect(bodies).toEqual(['', 'grant_type=authorization_code&code=c']);
    });

    it('sends it once more only: a second reset is the answer', async () => {
      const { server, requests } = await resetting(() => true);
      const http = client(server.origin);
      // Two pooled connections: the second try goes out on the other one, which is reset too.
      await Promise.all([http.get('/people/me'), http.get('/people/me')]);
      const before = requests();

      const error = await failureOf(post(http));

      expect(error).toMatchObject({ code: 'ECONNRESET' });
      expect(requests() - before).toBe(2);
      expect(server.connections).toBe(2);
    });

    it('does not send again when a new connection is reset', async () => {
      let requests = 0;
      const server = await upstream((req) => {
        requests++;
        req.socket.resetAndDestroy();
      });

      await expect(post(client(server.origin))).rejects.toMatchObject({ code: 'ECONNRESET' });
      expect(requests).toBe(1);
      expect(server.connections).toBe(1);
    });
  });

  describe('failures: each rejects once, promptly, and leaves no socket behind', () => {
    it.each([
      ['declares it in Content-Length', { 'content-length': '2000000' }],
      ['streams it without a length', {}],
    ])('refuses a body over maxContentLength that %s', async (_case, headers) => {
      const server = await upstream((_req, res) => {
        res.writeHead(200, headers);
        // More than the limit, and then never an end: only the adapter can stop this.
        res.write(Buffer.alloc(64 * 1024, 'x'));
        res.write(Buffer.alloc(64 * 1024, 'x'));
      });
      const error = await failureOf(client(server.origin).get('/rooms', { maxContentLength: 100_000 }));
      expect(error).toMatchObject({ code: 'ERR_BAD_RESPONSE', message: 'maxContentLength size of 100000 exceeded' });
      expect((error.request as ClientRequest).destroyed).toBe(true);
      await server.allClosed();
    });

    it.each([
      ['before the response headers', (res: ServerResponse) => void res],
      ['while the body streams in', (res: ServerResponse) => res.writeHead(200).write('{"items":[')],
    ])('gives up at the deadline (timeout) %s', async (_case, stall) => {
      const server = await upstream((_req, res) => stall(res));
      const started = Date.now();
      const error = await failureOf(client(server.origin).get('/rooms', { timeout: 200 }));
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(error).toMatchObject({ code: 'ECONNABORTED', message: 'timeout of 200ms exceeded' });
      expect((error.request as ClientRequest).destroyed).toBe(true);
      await server.allClosed();
    });

    it('counts the deadline to the last byte of the body, not to the headers', async () => {
      const server = await upstream((_req, res) => {
        res.writeHead(200).write('{');
        setTimeout(() => res.end('}'), 400);
      });
      await expect(client(server.origin).get('/rooms', { timeout: 200 })).rejects.toMatchObject({
        code: 'ECONNABORTED',
      });
    });

    it('stops when the caller aborts', async () => {
      const server = await upstream(() => undefined);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const error = await failureOf(client(server.origin).get('/rooms', { signal: controller.signal }));
      expect(error).toMatchObject({ code: 'ERR_CANCELED' });
      expect((error.request as ClientRequest).destroyed).toBe(true);
      await server.allClosed();
    });

    it('reports a body cut short by the server', async () => {
      const server = await upstream((req, res) => {
        res.writeHead(200, { 'content-length': '100' }).write('{"items":');
        setTimeout(() => req.socket.destroy(), 20);
      });
      await expect(client(server.origin).get('/rooms')).rejects.toMatchObject({ code: 'ECONNRESET' });
    });

    it('reports a refused connection as ECONNREFUSED', async () => {
      const server = await upstream(() => undefined);
      await server.close();
      await expect(client(server.origin).get('/rooms')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });

    it('gives up on a connection whose TLS handshake never completes', async () => {
      // Loopback always completes the TCP handshake, so the TLS one is what can hang here: a server
      // that accepts and never says a word stands in for a black-holed Webex.
      const sockets = new Set<Socket>();
      const silent = createTcpServer((socket) => sockets.add(socket));
      const port = await listen(silent);
      opened.push({
        close: () => {
          sockets.forEach((socket) => socket.destroy());
          return new Promise((resolve) => silent.close(() => resolve()));
        },
      });
      const started = Date.now();
      const error = await failureOf(client(`https://127.0.0.1:${port}/v1`, 150).get('/people/me', { timeout: 5000 }));
      expect(error).toMatchObject({ code: CONNECT_TIMEOUT_CODE });
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('does not take an answer slower than the connect timeout for a connect timeout', async () => {
      const server = await upstream((_req, res) => setTimeout(() => res.end('ok'), 300));
      await expect(client(server.origin, 100).get('/')).resolves.toMatchObject({ status: 200, data: 'ok' });
    });

    it.each([
      ['a proxy', { proxy: { host: '127.0.0.1', port: 3128 } }],
      ['a stream response', { responseType: 'stream' as const }],
      ['an object param', { params: { filter: { a: 1 } } }],
    ])('refuses what it does not support, %s, before sending', async (_case, config) => {
      const server = await upstream((_req, res) => res.end());
      const error = await failureOf(client(server.origin).get('/rooms', config));
      expect(error.code).toMatch(/^ERR_(NOT_SUPPORT|BAD_REQUEST)$/);
      expect(server.connections).toBe(0);
    });
  });
});
