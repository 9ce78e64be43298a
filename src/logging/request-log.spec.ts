import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { PINO_LEVELS, createLogger } from './logging.options';
import { requestLog, type LoggedRequest } from './request-log';

type Line = Record<string, unknown> & { msg?: string; level?: string; reqId?: string };

function logged(logLevel: keyof typeof PINO_LEVELS) {
  const written: string[] = [];
  const logger = createLogger({ logLevel, logFormat: 'json' }, { out: { write: (chunk) => written.push(chunk) } });
  return { logger, middleware: requestLog(logger), lines: () => written.map((chunk) => JSON.parse(chunk) as Line) };
}

/** A request and its response as far as the middleware and the serializers look at them. */
function exchange(url: string, incomingId?: string) {
  const headers: Record<string, string> = {};
  const req = Object.assign(new EventEmitter(), {
    method: 'GET',
    url,
    originalUrl: url,
    headers: incomingId ? { 'x-request-id': incomingId } : {},
    socket: { remoteAddress: '127.0.0.1' },
  }) as unknown as LoggedRequest;
  const res = Object.assign(new EventEmitter(), {
    statusCode: 200,
    headersSent: false,
    writableEnded: false,
    getHeader: (name: string) => headers[name.toLowerCase()],
    setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value),
  }) as unknown as ServerResponse & { writableEnded: boolean; headersSent: boolean };
  const answer = (status: number) => {
    Object.assign(res, { statusCode: status, headersSent: true, writableEnded: true });
    res.emit('close');
  };
  return { req, res, answer };
}

describe(requestLog.name, () => {
  it('writes one line per request with its id, method, path, status and time', () => {
    const { middleware, lines } = logged('log');
    const { req, res, answer } = exchange('/oauth?code=C0DE&state=ST4TE', 'lb-1');

    middleware(req, res, () => answer(302));
    res.emit('close');

    expect(lines()).toEqual([
      {
        level: 'info',
        time: expect.any(String),
        pid: expect.any(Number),
        hostname: expect.any(String),
        reqId: 'lb-1',
        req: { id: 'lb-1', method: 'GET', url: '/oauth', remoteAddress: '127.0.0.1', headers: {} },
        res: { statusCode: 302 },
        responseTime: expect.any(Number),
        msg: expect.stringMatching(/^GET \/oauth 302 \d+ms$/),
      },
    ]);
    expect(res.getHeader('x-request-id')).toBe('lb-1');
  });

  it('tags the lines written while the request runs with its id, and none after', () => {
    const { logger, middleware, lines } = logged('log');
    const { req, res, answer } = exchange('/listrooms');

    middleware(req, res, () => {
      logger.warn({ context: 'WebexApiService' }, 'GET /rooms → 500');
      answer(502);
    });
    logger.info('between requests');

    const [during, requestLine, after] = lines();
    expect(during).toEqual(expect.objectContaining({ reqId: req.id, context: 'WebexApiService' }));
    expect(requestLine).toEqual(expect.objectContaining({ reqId: req.id, level: 'error' }));
    expect(after).not.toHaveProperty('reqId');
  });

  it.each([
    ['log', 200, 'info'],
    ['log', 404, 'warn'],
    ['log', 503, 'error'],
    ['warn', 200, undefined],
    ['warn', 302, undefined],
    ['warn', 404, 'warn'],
    ['warn', 500, 'error'],
    ['error', 404, undefined],
    ['error', 500, 'error'],
  ] as const)('at LOG_LEVEL=%s answers a %d with a line at %s', (logLevel, status, level) => {
    const { middleware, lines } = logged(logLevel);
    const { req, res, answer } = exchange('/listrooms');

    middleware(req, res, () => answer(status));

    expect(lines().map((line) => line.level)).toEqual(level ? [level] : []);
  });

  it.each(['/health/live', '/static/app.css', '/favicon.ico'])('logs %s only when it fails', (path) => {
    const { middleware, lines } = logged('verbose');
    const ok = exchange(path);
    const failed = exchange(path);

    middleware(ok.req, ok.res, () => ok.answer(200));
    middleware(failed.req, failed.res, () => failed.answer(503));

    expect(lines()).toEqual([expect.objectContaining({ level: 'error', msg: expect.stringMatching(/ 503 /) })]);
  });

  it('logs a request the client gave up on as aborted', () => {
    const { middleware, lines } = logged('log');
    const { req, res } = exchange('/listrooms');

    middleware(req, res, () => res.emit('close'));

    expect(lines()).toEqual([
      expect.objectContaining({ msg: expect.stringMatching(/^GET \/listrooms aborted \d+ms$/) }),
    ]);
  });

  it('logs an error on the response once, with the error, instead of letting it throw', () => {
    const { middleware, lines } = logged('log');
    const { req, res, answer } = exchange('/listrooms');

    middleware(req, res, () => res.emit('error', new Error('write after end')));
    answer(200);

    expect(lines()).toEqual([
      expect.objectContaining({ level: 'error', err: expect.objectContaining({ message: 'write after end' }) }),
    ]);
  });
});
