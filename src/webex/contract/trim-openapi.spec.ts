import { readFileSync } from 'node:fs';
import type { OpenApiDocument, OperationObject } from './openapi.types';
import { renderTrimmed, trimOpenApi } from './trim-openapi';
import { WEBEX_CONTRACT_FILE } from './webex-contract';

const ERRORS = { '401': { description: 'Unauthorized: Authentication credentials were missing or incorrect.' } };

function list(item: string, extra: Partial<OperationObject> = {}): OperationObject {
  return {
    summary: 'List',
    description: 'Long prose.',
    tags: ['T'],
    responses: {
      '200': {
        description: 'OK',
        headers: { Link: { schema: { type: 'string' } } },
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: { items: { type: 'array', items: { $ref: `#/components/schemas/${item}` } } },
            },
            example: { items: [] },
          },
        },
      },
      ...ERRORS,
    },
    ...extra,
  };
}

/** Webex's document in miniature: the shapes the trim has to get right. */
function fullDocument(maxDescription = 'Value must be between 1 and 1000, inclusive.'): OpenApiDocument {
  const max = {
    name: 'max',
    in: 'query' as const,
    description: maxDescription,
    example: '100',
    schema: { type: 'number' },
  };
  return {
    openapi: '3.0.0',
    info: { title: 'Webex Messaging', version: '1.0.0', description: 'Prose.' },
    paths: {
      '/people/me': {
        get: {
          responses: {
            '200': {
              description: 'OK',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Person' } } },
            },
          },
        },
      },
      '/rooms': { get: list('Room', { parameters: [max] }), post: list('Room') },
      '/rooms/{roomId}': {
        get: {
          parameters: [{ name: 'roomId', in: 'path', required: true, schema: { type: 'string' } }],
          responses: ERRORS,
        },
      },
      '/memberships': { get: list('Membership') },
      '/messages': { get: list('Message') },
    },
    components: {
      schemas: {
        Person: { type: 'object', properties: { id: { type: 'string', description: 'An id.', example: 'Y2lz' } } },
        Room: {
          type: 'object',
          properties: {
            // Webex's Room has a property called description: a field, not prose.
            description: { type: 'string', description: 'The description of the space.' },
            title: { type: 'string', example: 'Sprint 0' },
            creator: { $ref: '#/components/schemas/Person' },
          },
        },
        Membership: { type: 'object', properties: { roomType: { type: 'string', enum: ['direct', 'group'] } } },
        Message: { type: 'object', properties: { text: { type: 'string' } } },
      },
    },
  };
}

/** Every key's path, e.g. "paths /rooms get responses 200 description". */
function keyPaths(value: unknown, path: string[] = []): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => keyPaths(v, [...path, String(i)]));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) => [[...path, key].join(' '), ...keyPaths(v, [...path, key])]);
}

/** The objects whose keys are not in sorted order. */
function unsorted(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => unsorted(v, `${path} ${i}`));
  if (typeof value !== 'object' || value === null) return [];
  const keys = Object.keys(value);
  const here = keys.join() === [...keys].sort().join() ? [] : [path || '(top)'];
  return [...here, ...Object.entries(value).flatMap(([key, v]) => unsorted(v, `${path} ${key}`))];
}

describe(trimOpenApi.name, () => {
  const trimmed = trimOpenApi(fullDocument());

  it('keeps the four operations and the schemas they reach, transitively', () => {
    expect(Object.keys(trimmed.paths)).toEqual(['/memberships', '/people/me', '/rooms', '/rooms/{roomId}']);
    expect(Object.keys(trimmed.paths['/rooms'])).toEqual(['get']);
    expect(Object.keys(trimmed.components?.schemas ?? {})).toEqual(['Membership', 'Person', 'Room']);
  });

  it('drops prose but keeps a property named description, and a reason phrase where OpenAPI needs a description', () => {
    const keys = keyPaths(trimmed);
    expect(keys.filter((k) => /(^| )(example|examples|summary|tags)$/.test(k))).toEqual([]);
    expect(keys.filter((k) => k.endsWith(' description'))).toEqual([
      'components schemas Room properties description',
      'paths /memberships get responses 200 description',
      'paths /memberships get responses 401 description',
      'paths /people/me get responses 200 description',
      'paths /rooms get responses 200 description',
      'paths /rooms get responses 401 description',
      'paths /rooms/{roomId} get responses 401 description',
    ]);
    expect(trimmed.components?.schemas?.Room.properties).toMatchObject({ description: { type: 'string' } });
    expect(trimmed.paths['/rooms'].get?.responses['401']).toEqual({ description: 'Unauthorized' });
  });

  it('keeps the max limits Webex states in prose, as schema keywords', () => {
    expect(trimmed.paths['/rooms'].get?.parameters).toEqual([
      { name: 'max', in: 'query', schema: { type: 'number', minimum: 1, maximum: 1000 } },
    ]);
    expect(() => trimOpenApi(fullDocument('Limit the number of rooms.'))).toThrow(/no longer says/);
  });

  it('refuses a document without one of the operations', () => {
    const doc = fullDocument();
    delete doc.paths['/memberships'];
    expect(() => trimOpenApi(doc)).toThrow('The document has no GET /memberships.');
  });

  it('writes the same text every time, keys sorted', () => {
    const once = renderTrimmed(trimmed);
    expect(renderTrimmed(trimOpenApi(fullDocument()))).toBe(once);
    expect(unsorted(JSON.parse(once))).toEqual([]);
    expect(once.endsWith('}\n')).toBe(true);
  });

  it('made the committed copy: its keys are sorted (and `npm run lint` checks its printing)', () => {
    expect(unsorted(JSON.parse(readFileSync(WEBEX_CONTRACT_FILE, 'utf8')))).toEqual([]);
  });
});
