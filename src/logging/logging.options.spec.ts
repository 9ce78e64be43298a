import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLogger, logDestination, loggerOptions, PINO_LEVELS } from './logging.options';
import { scrubText, serializeError, withoutQuery } from './redaction';
import { assignRequestId, requestIdOf, runWithRequestId } from './request-id';

type Line = Record<string, unknown> & { msg?: string; req?: Record<string, unknown>; res?: Record<string, unknown> };

function jsonLogger(logLevel: keyof typeof PINO_LEVELS = 'log') {
  const written: string[] = [];
  const out = { write: (chunk: string) => written.push(chunk) };
  const logger = createLogger({ logLevel, logFormat: 'json' }, { out });
  return { logger, lines: () => written.map((chunk) => JSON.parse(chunk) as Line) };
}

function fakeRequest(url: string, headers: Record<string, string> = {}): IncomingMessage {
  return {
    method: 'GET',
    url,
    originalUrl: url,
    headers,
    socket: { remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;
}

function fakeResponse(headers: Record<string, string | string[]> = {}): ServerResponse {
  const set: Record<string, string | string[]> = { ...headers };
  return {
    statusCode: 302,
    headersSent: true,
    getHeader: (name: string) => set[name.toLowerCase()],
    getHeaders: () => set,
    setHeader: (name: string, value: string) => (set[name.toLowerCase()] = value),
  } as unknown as ServerResponse;
}

describe('logging options', () => {
  describe('redaction', () => {
    it.each([
      'code',
      'state',
      'access_token',
      'refreshToken',
      'client_secret',
      'code_verifier',
      'password',
      'secret',
      'token',
      'Authorization',
      'set-cookie',
      'csrfToken',
    ])('censors a field named %s at every depth, in arrays too', (name) => {
      const { logger, lines } = jsonLogger();
      let nested: Record<string, unknown> = { [name]: 'v9' };
      for (let depth = 8; depth >= 1; depth--) nested = { [name]: `v${depth}`, a: nested };
      logger.info({ [name]: 'v0', nested, list: [{ [name]: 'in-array' }] }, 'x');

      const text = JSON.stringify(lines()[0]);
      expect(text).not.toMatch(/"v\d"|in-array/);
      expect(text.match(/\[Redacted\]/g)).toHaveLength(11);
    });

    it('scrubs what is interpolated into a message', () => {
      const { logger, lines } = jsonLogger();
      logger.info('token answer %j, sent to %s', { access_token: 'T0KEN', expires_in: 3600 }, '/cb?code=C0DE');

      expect(lines()[0].msg).toBe(
        'token answer {"access_token":"[Redacted]","expires_in":3600}, sent to /cb?code=[Redacted]',
      );
    });

    it('reduces an error kept in a field, wherever it sits, as it does one logged as err', () => {
      const { logger, lines } = jsonLogger();
      const error = Object.assign(new Error('exchange failed for code=C0DE'), {
        config: { data: 'client_secret=S3CRET' },
      });
      logger.warn({ context: 'OAuth', detail: { cause: error } }, 'x');
      logger.error(error);

      const text = JSON.stringify(lines());
      expect(text).not.toMatch(/C0DE|S3CRET/);
      expect(lines()[0].detail).toEqual({
        cause: expect.objectContaining({ type: 'Error', message: 'exchange failed for code=[Redacted]' }),
      });
      expect(lines()[1].err).toEqual(expect.objectContaining({ type: 'Error' }));
    });

    it('censors the credential headers of a request and a response', () => {
      const { logger, lines } = jsonLogger();
      logger.info({ req: { headers: { authorization: 'Bearer abc', cookie: 'wxo.sid=s%3Aabc' } } }, 'x');
      logger.info({ res: { headers: { 'set-cookie': ['wxo.sid=s%3Aabc'] } } }, 'y');

      expect(
        lines()
          .map((line) => JSON.stringify(line))
          .join('\n'),
      ).not.toContain('abc');
    });

    it('logs a request by its path, without the query, the cookie or the body', () => {
      const { logger, lines } = jsonLogger();
      const req = fakeRequest('/oauth?code=C0DE&state=ST4TE', {
        cookie: 'wxo.sid=SID',
        referer: 'http://localhost:8080/oauth?code=C0DE',
        'user-agent': 'test',
      });
      logger.info({ req }, 'x');

      const [line] = lines();
      expect(line.req).toEqual({
        method: 'GET',
        url: '/oauth',
        remoteAddress: '127.0.0.1',
        headers: { 'user-agent': 'test', referer: 'http://localhost:8080/oauth' },
      });
      expect(JSON.stringify(line)).not.toMatch(/C0DE|ST4TE|SID/);
    });

    it('logs a response by its status and where it redirects, without the redirect query or cookies', () => {
      const { logger, lines } = jsonLogger();
      const res = fakeResponse({
        location: 'https://webexapis.com/v1/authorize?state=ST4TE',
        'set-cookie': ['wxo.sid=SID'],
      });
      logger.info({ res }, 'x');

      expect(lines()[0].res).toEqual({ statusCode: 302, headers: { location: 'https://webexapis.com/v1/authorize' } });
    });

    it('scrubs credentials that code put into a message', () => {
      const { logger, lines } = jsonLogger();
      logger.info('calling /oauth?code=C0DE&state=ST4TE with Bearer T0KEN.abc');

      expect(lines()[0].msg).toBe('calling /oauth?code=[Redacted]&state=[Redacted] with Bearer [Redacted]');
    });

    it('keeps an error’s message, stack and plain fields, and drops objects hung on it', () => {
      const error = Object.assign(new Error('Request failed with status code 500'), {
        status: 500,
        config: { data: 'grant_type=authorization_code&client_secret=S3CRET' },
      });

      const serialized = serializeError(error) as Record<string, unknown>;

      expect(serialized).toEqual(
        expect.objectContaining({ type: 'Error', message: 'Request failed with status code 500', status: 500 }),
      );
      expect(serialized.stack).toEqual(expect.any(String));
      expect(JSON.stringify(serialized)).not.toContain('S3CRET');
    });

    it.each([
      ['/oauth?code=a&state=b', '/oauth'],
      ['/listrooms', '/listrooms'],
      ['http://x/a#frag', 'http://x/a'],
    ])('cuts %s to %s', (url, expected) => {
      expect(withoutQuery(url)).toBe(expected);
    });

    it('leaves words that only look like sensitive names alone', () => {
      expect(scrubText('callback carries error=access_denied; trackingId=ROUTER_1')).toBe(
        'callback carries error=access_denied; trackingId=ROUTER_1',
      );
    });
  });

  describe('request id', () => {
    it.each([
      ['keeps a sane incoming id (a proxy’s)', 'lb-1.trace:abc_123', true],
      ['replaces an incoming id of 300 characters', 'a'.repeat(300), false],
      ['replaces an incoming id with spaces', 'two words', false],
      ['replaces an incoming id with a line break', 'a\nb', false],
      ['replaces an incoming id shaped like JSON', '{"level":60}', false],
      ['replaces an empty incoming id', '', false],
    ])('%s, and answers with the id in X-Request-Id', (_name, incoming, kept) => {
      const req = fakeRequest('/', { 'x-request-id': incoming });
      const res = fakeResponse();

      const id = assignRequestId(req, res);

      if (kept) expect(id).toBe(incoming);
      else expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(res.getHeader('x-request-id')).toBe(id);
    });

    it('reads the id the request was given', () => {
      expect(requestIdOf(Object.assign(fakeRequest('/'), { id: 'r-1' }))).toBe('r-1');
      expect(requestIdOf(fakeRequest('/'))).toBeUndefined();
    });
  });

  describe('lines written during a request', () => {
    it('carry the request id, and lines outside any request do not', () => {
      const { logger, lines } = jsonLogger();
      runWithRequestId('r-1', () => logger.info({ context: 'OAuth' }, 'inside'));
      logger.info('outside');

      expect(lines()).toEqual([
        expect.objectContaining({ reqId: 'r-1', context: 'OAuth', msg: 'inside' }),
        expect.not.objectContaining({ reqId: expect.anything() }),
      ]);
    });

    it('keep the id across awaits', async () => {
      const { logger, lines } = jsonLogger();
      await new Promise<void>((resolve) =>
        runWithRequestId('r-2', () => {
          void (async () => {
            await new Promise((wait) => setTimeout(wait, 1));
            logger.warn('later');
            resolve();
          })();
        }),
      );

      expect(lines()).toEqual([expect.objectContaining({ reqId: 'r-2', msg: 'later' })]);
    });
  });

  describe('levels and formats', () => {
    it.each(Object.entries(PINO_LEVELS))('maps LOG_LEVEL=%s to pino’s %s', (nest, pino) => {
      expect(loggerOptions({ logLevel: nest as keyof typeof PINO_LEVELS, logFormat: 'json' }).level).toBe(pino);
    });

    it('hides debug lines at the default level and shows them at LOG_LEVEL=debug', () => {
      const quiet = jsonLogger('log');
      const chatty = jsonLogger('debug');
      quiet.logger.debug('hidden');
      chatty.logger.debug('shown');

      expect(quiet.lines()).toEqual([]);
      expect(chatty.lines()).toEqual([expect.objectContaining({ level: 'debug', msg: 'shown' })]);
    });

    it('writes readable lines synchronously in the pretty format, request id and context first', () => {
      const written: string[] = [];
      const destination = logDestination('pretty', {
        out: { write: (chunk: string) => written.push(chunk) },
        colorize: false,
      });

      destination.write(
        `${JSON.stringify({ level: 30, time: 0, pid: 1, hostname: 'h', reqId: 'r-1', context: 'OAuth', msg: 'hello' })}\n`,
      );

      expect(written).toHaveLength(1);
      expect(written[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[r-1\] OAuth: hello\n$/);
    });
  });
});
