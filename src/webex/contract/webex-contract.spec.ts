import type { OpenApiDocument } from './openapi.types';
import { WebexContract } from './webex-contract';

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

  describe('operations', () => {
    it.each([
      ['/v1/people/me', 'Get My Own Details', {}],
      ['/v1/rooms?max=5', 'List Rooms', {}],
      ['http://127.0.0.1:9/v1/rooms', 'List Rooms', {}],
      ['/v1/rooms/Y2lz%2FUk9PTQ', 'Get Room Details', { roomId: 'Y2lz/Uk9PTQ' }],
      ['/v1/memberships?roomId=abc', 'List Memberships', {}],
    ])('finds GET %s', (target, operationId, pathParams) => {
      expect(contract.operationFor('GET', target)).toMatchObject({ operationId, pathParams });
    });

    it.each([
      ['POST', '/v1/rooms'],
      ['GET', '/v1/messages'],
      ['GET', '/rooms'],
      ['GET', '/v1/rooms/'],
      // The document does not describe OAuth: see shared/webex-platform.md for what is known.
      ['POST', '/v1/access_token'],
      ['GET', '/v1/authorize'],
    ])('has no %s %s', (method, target) => {
      expect(contract.operationFor(method, target)).toBeUndefined();
      expect(contract.requestProblems(method, target)).toEqual([expect.stringMatching(/no such operation/)]);
    });

    it('prefers a concrete path over a template that also matches it', () => {
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
      '/v1/rooms',
      '/v1/rooms?max=1',
      '/v1/rooms?max=1000&sortBy=lastactivity',
      '/v1/rooms?type=direct&sortBy=created&teamId=abc',
      '/v1/rooms/abc',
      '/v1/memberships?roomId=abc&max=5',
    ])('accepts GET %s', (target) => {
      expect(contract.requestProblems('GET', target)).toEqual([]);
    });

    it.each([
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
      ['/v1/rooms/%E0%A4%A', 'not validly percent-encoded'],
    ])('rejects GET %s', (target, problem) => {
      expect(contract.requestProblems('GET', target)).toEqual([expect.stringContaining(problem)]);
    });
  });

  describe('answers', () => {
    const answer = (body: unknown, status = 200, contentType: string | null = JSON_TYPE) => ({
      status,
      contentType,
      body,
    });

    it('accepts a person and a room list with the fields the service reads, and fields it does not know', () => {
      expect(contract.answerProblems('GET', '/v1/people/me', answer({ ...PERSON, pronouns: 'she/her' }))).toEqual([]);
      expect(
        contract.answerProblems('GET', '/v1/rooms', answer({ items: [ROOM, { ...ROOM, isLocked: true }] })),
      ).toEqual([]);
      expect(contract.answerProblems('GET', '/v1/rooms', answer({ items: [] }))).toEqual([]);
      expect(contract.answerProblems('GET', '/v1/rooms/abc', answer(ROOM))).toEqual([]);
    });

    // The document requires nothing; a caller may require what it reads (the service's own
    // declarations do that in webex.calls.ts).
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
    ])('rejects %s', (_what, target, body, problem) => {
      expect(contract.answerProblems('GET', target, answer(JSON.parse(JSON.stringify(body))))).toEqual([
        expect.stringContaining(problem),
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
    });

    it('on the document alone, requires no field at all (Webex marks none required)', () => {
      const bare = WebexContract.load(undefined, { requiredFields: {} });
      expect(bare.answerProblems('GET', '/v1/people/me', answer({}))).toEqual([]);
      expect(bare.answerProblems('GET', '/v1/rooms', answer({}))).toEqual([]);
    });

    it('refuses to require fields of a schema the document does not have', () => {
      expect(() => WebexContract.load(undefined, { requiredFields: { Team: ['id'] } })).toThrow(/no schema Team/);
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
