import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HTTP_METHODS, type OpenApiDocument } from './openapi.types';
import { WEBEX_CONTRACT_FILE, WebexContract } from './webex-contract';

// Tests of the checker, on whatever operations of Webex's document show a case best: which calls
// the service makes is not this file's business (webex.calls.spec.ts checks those).

const JSON_TYPE = 'application/json; charset=utf-8';
const PERSON = {
  id: 'Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hbGljZQ',
  emails: ['alice@example.com'],
  displayName: 'Alice Sandbox',
  type: 'person',
  status: 'active',
};
const ROOM = { id: 'Y2lzY29zcGFyazovL3VzL1JPT00vMQ', title: '<script>alert(1)</script>', type: 'group' };

describe(WebexContract.name, () => {
  const contract = WebexContract.load();

  describe('the document', () => {
    const text = readFileSync(WEBEX_CONTRACT_FILE);

    it('is Webex’s as published: its SHA-256 is the one README.md records', () => {
      const readme = readFileSync(join(__dirname, 'README.md'), 'utf8');
      const recorded = /SHA-256\s+`([0-9a-f]{64})`/.exec(readme)?.[1];
      expect(createHash('sha256').update(text).digest('hex')).toBe(recorded);
    });

    it('compiles into checks for every request and answer of every operation', () => {
      const document = JSON.parse(text.toString('utf8')) as OpenApiDocument;
      const compiled: string[] = [];
      for (const [path, item] of Object.entries(document.paths)) {
        const target = `/v1${path.replace(/\{[^}]+\}/g, 'x')}`;
        for (const method of HTTP_METHODS.filter((m) => item[m])) {
          contract.requestProblems(method, target);
          for (const [status, response] of Object.entries(item[method]?.responses ?? {})) {
            for (const contentType of Object.keys(response.content ?? {})) {
              contract.answerProblems(method, target, { status: Number(status), contentType, body: null });
            }
          }
          compiled.push(`${method} ${path}`);
        }
      }
      expect(compiled.length).toBeGreaterThan(50);
    });
  });

  describe('operations', () => {
    it.each([
      ['GET', '/v1/people/me', 'Get My Own Details', {}],
      ['GET', '/v1/people/abc', 'Get Person Details', { personId: 'abc' }],
      ['GET', '/v1/messages/direct?personId=abc', 'List Direct Messages', {}],
      ['GET', 'http://127.0.0.1:9/v1/rooms', 'List Rooms', {}],
      ['POST', '/v1/rooms', 'Create a Room', {}],
      ['DELETE', '/v1/rooms/Y2lz%2FUk9PTQ', 'Delete a Room', { roomId: 'Y2lz/Uk9PTQ' }],
    ])('finds %s %s', (method, target, operationId, pathParams) => {
      expect(contract.operationFor(method, target)).toMatchObject({ operationId, pathParams });
    });

    it('gives the parameters the operation declares', () => {
      expect(contract.operationFor('GET', '/v1/people/abc')?.parameters).toEqual([
        expect.objectContaining({ name: 'personId', in: 'path', required: true }),
        expect.objectContaining({ name: 'callingData', in: 'query' }),
      ]);
    });

    it.each([
      ['PATCH', '/v1/rooms'],
      ['GET', '/v1/nothing'],
      ['GET', '/rooms'],
      ['GET', '/v1/rooms/'],
      // The document does not describe OAuth: see shared/webex-platform.md for what is known.
      ['POST', '/v1/access_token'],
      ['GET', '/v1/authorize'],
    ])('has no %s %s', (method, target) => {
      expect(contract.operationFor(method, target)).toBeUndefined();
      expect(contract.requestProblems(method, target)).toEqual([expect.stringMatching(/no such operation/)]);
    });

    it('prefers a concrete path over a template that also matches it, wherever the document lists it', () => {
      const doc: OpenApiDocument = {
        openapi: '3.0.0',
        info: { title: 't', version: '1' },
        paths: {
          '/people/{personId}': { get: { operationId: 'template', responses: {} } },
          '/people/me': { get: { operationId: 'concrete', responses: {} } },
        },
      };
      const own = new WebexContract(doc, { requiredFields: {} });
      expect(own.operationFor('GET', '/v1/people/me')?.operationId).toBe('concrete');
      expect(own.operationFor('GET', '/v1/people/bob')?.operationId).toBe('template');
    });
  });

  describe('requests', () => {
    it.each([
      '/v1/people/me',
      '/v1/people/me?callingData=true',
      '/v1/rooms?max=1',
      '/v1/rooms?max=1000&sortBy=lastactivity',
      '/v1/rooms?type=direct&sortBy=created&teamId=abc',
      '/v1/rooms/abc',
      // No bound stated anywhere, so none is checked.
      '/v1/memberships?roomId=abc&max=5000',
      '/v1/messages?roomId=abc&max=10',
    ])('accepts GET %s', (target) => {
      expect(contract.requestProblems('GET', target)).toEqual([]);
    });

    it.each([
      // These two bounds are in the parameter's description only ("between 1 and 1000, inclusive").
      ['/v1/rooms?max=0', 'query/max must be >= 1'],
      ['/v1/rooms?max=1001', 'query/max must be <= 1000'],
      ['/v1/rooms?max=ten', 'query/max must be number'],
      ['/v1/rooms?max=', 'query/max must be number'],
      ['/v1/rooms?max=10&max=20', 'query/max must be number'],
      ['/v1/rooms?cursor=abc', 'query must NOT have additional properties: cursor'],
      ['/v1/rooms?limit=10', 'query must NOT have additional properties: limit'],
      ['/v1/rooms?type=public', 'query/type must be equal to one of the allowed values: direct, group'],
      ['/v1/rooms?sortBy=title', 'query/sortBy must be equal to one of the allowed values'],
      ['/v1/people/me?callingData=yes', 'query/callingData must be boolean'],
      ['/v1/messages', "query must have required property 'roomId'"],
      ['/v1/rooms/%E0%A4%A', 'not validly percent-encoded'],
    ])('rejects GET %s', (target, problem) => {
      expect(contract.requestProblems('GET', target)).toEqual([expect.stringContaining(problem)]);
    });

    it('takes bounds from a description only for a number', () => {
      const between = 'Value must be between 1 and 10, inclusive.';
      const doc: OpenApiDocument = {
        openapi: '3.0.0',
        info: { title: 't', version: '1' },
        paths: {
          '/things': {
            get: {
              parameters: [
                { name: 'max', in: 'query', description: between, schema: { type: 'integer' } },
                { name: 'name', in: 'query', description: between, schema: { type: 'string' } },
              ],
              responses: {},
            },
          },
        },
      };
      const own = new WebexContract(doc);
      expect(own.requestProblems('GET', '/v1/things?max=11&name=abcdefghijklmnop')).toEqual([
        'GET /things: query/max must be <= 10',
      ]);
    });
  });

  describe('answers', () => {
    const answer = (body: unknown, status = 200, contentType: string | null = JSON_TYPE) => ({
      status,
      contentType,
      body,
    });

    it('accepts a person and a room list, and fields the document does not name', () => {
      expect(contract.answerProblems('GET', '/v1/people/me', answer({ ...PERSON, pronouns: 'she/her' }))).toEqual([]);
      expect(
        contract.answerProblems('GET', '/v1/rooms', answer({ items: [ROOM, { ...ROOM, isLocked: true }] })),
      ).toEqual([]);
      expect(contract.answerProblems('GET', '/v1/rooms', answer({ items: [] }))).toEqual([]);
      expect(contract.answerProblems('GET', '/v1/rooms/abc', answer(ROOM))).toEqual([]);
    });

    // The document requires no field of these; a caller may require what it reads (the service's
    // own declarations do that in webex.calls.ts).
    it.each([
      ['a person without id', '/v1/people/me', { ...PERSON, id: undefined }, "body must have required property 'id'"],
      ['a room list without items', '/v1/rooms', {}, "body must have required property 'items'"],
      [
        'a room without title',
        '/v1/rooms',
        { items: [ROOM, { ...ROOM, title: undefined }] },
        "body/items/1 must have required property 'title'",
      ],
    ])('rejects %s where fields are required on top of the document', (_case, target, body, problem) => {
      const strict = WebexContract.load(undefined, {
        requiredFields: { Person: ['id'], RoomCollectionResponse: ['items'], Room: ['title'] },
      });
      expect(strict.answerProblems('GET', target, answer(body))).toEqual([expect.stringContaining(problem)]);
      expect(contract.answerProblems('GET', target, answer(body))).toEqual([]);
    });

    it.each([
      ['a numeric displayName', '/v1/people/me', { ...PERSON, displayName: 42 }, 'body/displayName must be string'],
      [
        'emails as one string',
        '/v1/people/me',
        { ...PERSON, emails: 'alice@example.com' },
        'body/emails must be array',
      ],
      [
        'a person type Webex does not have',
        '/v1/people/me',
        { ...PERSON, type: 'robot' },
        'body/type must be equal to one of the allowed values',
      ],
      ['a list where a person belongs', '/v1/people/me', [PERSON], 'body must be object'],
      ['items that are not a list', '/v1/rooms', { items: ROOM }, 'body/items must be array'],
      ['a numeric title', '/v1/rooms', { items: [{ ...ROOM, title: 7 }] }, 'body/items/0/title must be string'],
      [
        'isLocked as text',
        '/v1/rooms',
        { items: [{ ...ROOM, isLocked: 'no' }] },
        'body/items/0/isLocked must be boolean',
      ],
      [
        'a room type Webex does not have',
        '/v1/rooms',
        { items: [{ ...ROOM, type: 'channel' }] },
        'body/items/0/type must be equal to one of',
      ],
      [
        'a membership of an unknown room type',
        '/v1/memberships',
        { items: [{ roomType: 'channel' }] },
        'body/items/0/roomType must be equal to one of',
      ],
      ['a team without its name as text', '/v1/teams/abc', { id: 'abc', name: 1 }, 'body/name must be string'],
    ])('rejects %s', (_what, target, body, problem) => {
      expect(contract.answerProblems('GET', target, answer(JSON.parse(JSON.stringify(body))))).toEqual([
        expect.stringContaining(problem),
      ]);
    });

    it('checks a date-time the document gives that format to', () => {
      const segment = (segmentStartTime: string) => ({
        items: [{ clusters: [{ availabilitySegments: [{ segmentStartTime }] }] }],
      });
      const target = '/v1/hds/clusters/abc/availability';
      expect(contract.answerProblems('GET', target, answer(segment('2026-04-27T10:00:00.000Z')))).toEqual([]);
      expect(contract.answerProblems('GET', target, answer(segment('yesterday')))).toEqual([
        expect.stringContaining('must match format "date-time"'),
      ]);
    });

    it('rejects a status or a media type the document does not declare', () => {
      expect(contract.answerProblems('GET', '/v1/rooms', answer({ items: [] }, 201))).toEqual([
        'GET /rooms: status 201 is not one the document declares',
      ]);
      expect(contract.answerProblems('GET', '/v1/rooms', answer('<html>', 200, 'text/html'))).toEqual([
        'GET /rooms: 200 as text/html, not application/json',
      ]);
      expect(contract.answerProblems('GET', '/v1/rooms', answer({ items: [] }, 200, null))).toEqual([
        'GET /rooms: 200 as no content type, not application/json',
      ]);
    });

    it('cannot judge error bodies: the document lists their statuses only', () => {
      // Their shape ({message, errors[].description, trackingId}) is in shared/webex-platform.md.
      expect(contract.answerProblems('GET', '/v1/rooms', answer({ anything: true }, 429))).toEqual([]);
      expect(contract.answerProblems('POST', '/v1/attachment/actions', answer({ message: 'no' }, 400))).toEqual([]);
    });

    it('on the document alone, requires no field of a person or a room list (Webex marks none required)', () => {
      const bare = WebexContract.load(undefined, { requiredFields: {} });
      expect(bare.answerProblems('GET', '/v1/people/me', answer({}))).toEqual([]);
      expect(bare.answerProblems('GET', '/v1/rooms', answer({}))).toEqual([]);
    });

    it('refuses to require fields of a schema the document does not have', () => {
      expect(() => WebexContract.load(undefined, { requiredFields: { NoSuchThing: ['id'] } })).toThrow(
        /no schema NoSuchThing/,
      );
    });
  });

  describe('OpenAPI 3.0 schemas', () => {
    const doc: OpenApiDocument = {
      openapi: '3.0.0',
      info: { title: 't', version: '1' },
      paths: {
        '/things': {
          get: {
            responses: {
              '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
            },
          },
        },
      },
      components: {
        schemas: {
          Thing: {
            type: 'object',
            properties: {
              plain: { type: 'string' },
              maybe: { type: 'string', nullable: true, example: 'x' },
              level: { type: 'string', enum: ['low', 'high'], nullable: true },
              count: { type: 'number', minimum: 0, exclusiveMinimum: true },
              // A Reference Object's siblings are ignored in OpenAPI 3.0, nullable included.
              other: { $ref: '#/components/schemas/Other', nullable: true },
            },
          },
          Other: { type: 'object', properties: { name: { type: 'string' } } },
        },
      },
    };
    const own = new WebexContract(doc, { requiredFields: { Thing: ['plain'] } });
    const problems = (body: object) =>
      own.answerProblems('GET', '/v1/things', { status: 200, contentType: 'application/json', body });

    it('reads nullable, boolean exclusiveMinimum and $ref siblings as OpenAPI 3.0 means them', () => {
      expect(problems({ plain: 'a', maybe: null, level: null, count: 0.5, other: { name: 'n' } })).toEqual([]);
      expect(problems({ plain: null })).toEqual(['GET /things: body/plain must be string']);
      expect(problems({ plain: 'a', level: 'mid' })).toEqual([
        expect.stringContaining('body/level must be null'),
        expect.stringContaining('body/level must be equal to one of the allowed values: low, high'),
        expect.stringContaining('body/level must match a schema in anyOf'),
      ]);
      expect(problems({ plain: 'a', count: 0 })).toEqual(['GET /things: body/count must be > 0']);
      expect(problems({ plain: 'a', other: null })).toEqual(['GET /things: body/other must be object']);
    });
  });
});
