import { CENSOR, isSensitiveKey, scrubFields, scrubText, scrubValue } from './redaction';

const SECRET = 'S3CRET-value';

describe('scrubValue', () => {
  it('censors sensitive fields fifty levels down, and in arrays of arrays', () => {
    let deep: unknown = { refresh_token: SECRET, keep: 'visible' };
    for (let depth = 0; depth < 50; depth++) deep = { level: depth, next: deep, list: [[{ code: SECRET }]] };

    const text = JSON.stringify(scrubValue(deep));

    expect(text).not.toContain(SECRET);
    expect(text).toContain('visible');
    expect(text.split(CENSOR)).toHaveLength(52);
  });

  it.each([
    ['access_token', true],
    ['accessToken', true],
    ['Access-Token', true],
    ['refresh_token', true],
    ['id_token', true],
    ['client_secret', true],
    ['sessionSecret', true],
    ['code_verifier', true],
    ['password', true],
    ['Authorization', true],
    ['proxy-authorization', true],
    ['cookie', true],
    ['Set-Cookie', true],
    ['code', true],
    ['state', true],
    ['statusCode', false],
    ['errorCode', false],
    ['readyState', false],
    ['trackingId', false],
    ['error', false],
    ['expires_in', false],
    ['token_type_hint_count', false],
  ])('treats a field named %s as sensitive: %s', (key, sensitive) => {
    expect(isSensitiveKey(key)).toBe(sensitive);
    expect(scrubValue({ [key]: SECRET })).toEqual({ [key]: sensitive ? CENSOR : SECRET });
  });

  it('censors a sensitive field whatever its value holds', () => {
    expect(scrubValue({ token: { value: SECRET }, state: [SECRET], code: 42 })).toEqual({
      token: CENSOR,
      state: CENSOR,
      code: CENSOR,
    });
  });

  it('scrubs credentials quoted in strings, in fields and in arrays', () => {
    const scrubbed = scrubValue({
      url: `/oauth?code=${SECRET}&state=${SECRET}`,
      headers: [`Bearer ${SECRET}`],
      body: `grant_type=refresh_token&refresh_token=${SECRET}`,
    });

    expect(JSON.stringify(scrubbed)).not.toContain(SECRET);
    expect(scrubbed).toEqual({
      url: `/oauth?code=${CENSOR}&state=${CENSOR}`,
      headers: [`Bearer ${CENSOR}`],
      body: `grant_type=refresh_token&refresh_token=${CENSOR}`,
    });
  });

  it('cuts cycles instead of hanging, and keeps an object seen twice without a cycle', () => {
    const shared = { trackingId: 'ROUTER_1' };
    const loop: Record<string, unknown> = { name: 'loop', shared, again: shared, secret: SECRET };
    loop.self = loop;
    loop.list = [loop, { back: loop }];

    expect(scrubValue(loop)).toEqual({
      name: 'loop',
      shared: { trackingId: 'ROUTER_1' },
      again: { trackingId: 'ROUTER_1' },
      secret: CENSOR,
      self: '[Circular]',
      list: ['[Circular]', { back: '[Circular]' }],
    });
  });

  it('reduces errors at any depth to type, message and stack, dropping what hangs on them', () => {
    const error = Object.assign(new Error(`token request failed: client_secret=${SECRET}`), {
      status: 401,
      config: { data: `client_secret=${SECRET}` },
      response: { data: { access_token: SECRET } },
    });

    const scrubbed = scrubValue({ attempts: [{ error }] }) as { attempts: [{ error: Record<string, unknown> }] };

    expect(JSON.stringify(scrubbed)).not.toContain(SECRET);
    expect(scrubbed.attempts[0].error).toEqual(
      expect.objectContaining({
        type: 'Error',
        message: `token request failed: client_secret=${CENSOR}`,
        status: 401,
        stack: expect.stringContaining(`client_secret=${CENSOR}`),
      }),
    );
    expect(scrubbed.attempts[0].error).not.toHaveProperty('config');
  });

  it('censors sensitive fields of an error too', () => {
    const error = Object.assign(new Error('refused'), { state: SECRET, code: SECRET });

    expect(JSON.stringify(scrubValue({ error }))).not.toContain(SECRET);
  });

  it('writes what JSON would (toJSON), scrubbed', () => {
    const at = new Date(0);

    expect(
      scrubValue({ at, callback: new URL(`https://app.example/oauth?code=${SECRET}`), none: undefined, n: null }),
    ).toEqual({
      at: at.toJSON(),
      callback: `https://app.example/oauth?code=${CENSOR}`,
      none: undefined,
      n: null,
    });
  });

  it('leaves what it is given untouched', () => {
    const given = { nested: { token: SECRET, note: `code=${SECRET}` } };

    scrubValue(given);

    expect(given).toEqual({ nested: { token: SECRET, note: `code=${SECRET}` } });
  });
});

describe('scrubFields', () => {
  it('leaves the fields a serializer owns to it, and scrubs the others', () => {
    const req = { headers: { cookie: SECRET } };

    const scrubbed = scrubFields({ req, context: 'OAuth', token: SECRET, detail: { state: SECRET } }, new Set(['req']));

    expect(scrubbed).toEqual({ req, context: 'OAuth', token: CENSOR, detail: { state: CENSOR } });
    expect(scrubbed.req).toBe(req);
  });
});

describe('scrubText', () => {
  it.each([
    [`/oauth?code=${SECRET}&state=${SECRET}`, `/oauth?code=${CENSOR}&state=${CENSOR}`],
    [`access_token=${SECRET}; refresh_token=${SECRET}`, `access_token=${CENSOR}; refresh_token=${CENSOR}`],
    [`csrfToken=${SECRET}`, `csrfToken=${CENSOR}`],
    [`code_verifier=${SECRET}&client_secret=${SECRET}`, `code_verifier=${CENSOR}&client_secret=${CENSOR}`],
    [`Authorization: Bearer ${SECRET}`, `Authorization: Bearer ${CENSOR}`],
    ['statusCode=500 readyState=4 error=access_denied', 'statusCode=500 readyState=4 error=access_denied'],
  ])('turns %s into %s', (text, expected) => {
    expect(scrubText(text)).toBe(expected);
  });

  it('stays fast on a long run of word characters', () => {
    const long = `${'a-'.repeat(50_000)}token=${SECRET}`;
    const started = performance.now();

    expect(scrubText(long)).not.toContain(SECRET);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
