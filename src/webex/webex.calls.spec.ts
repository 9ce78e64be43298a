import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { WEBEX_CONTRACT_FILE } from './contract';
import { undocumentedInOpenApi, WEBEX_DOCS_KEY, type WebexCall, type WebexDocsUrl } from './webex-call';
import { webexCalls } from './webex.calls';

type Schema = Record<string, unknown>;

const document = JSON.parse(readFileSync(WEBEX_CONTRACT_FILE, 'utf8')) as {
  paths: Record<string, Record<string, { parameters?: Schema[]; responses: Record<string, Schema> }>>;
  components: { schemas: Record<string, Schema> };
};

function resolve(schema: Schema): Schema {
  const ref = schema.$ref;
  return typeof ref === 'string' ? resolve(document.components.schemas[ref.split('/').pop() ?? '']) : schema;
}

/** A page of Webex's API reference: what a field the contract lacks must name (undocumentedInOpenApi). */
const WEBEX_DOCS_PAGE = /^https:\/\/developer\.webex\.com\/\S+$/;

/** A field of ours the contract does not have: fine only when marked with the page that documents it. */
function missingField(ours: Schema, at: string): string[] {
  const docs = ours[WEBEX_DOCS_KEY];
  if (docs === undefined) return [`${at}: the contract has no such field`];
  return typeof docs === 'string' && WEBEX_DOCS_PAGE.test(docs)
    ? []
    : [
        `${at}: the contract has no such field, and ${JSON.stringify(docs)} is not a page of https://developer.webex.com/`,
      ];
}

/**
 * Where our schema says less than Webex's (fewer fields, a narrower enum, a field optional) that is
 * fine; a field Webex does not have, or has with another type, is not.
 */
function incompatibilities(ours: Schema, theirs: Schema, at: string): string[] {
  theirs = resolve(theirs);
  if (ours.type !== theirs.type) return [`${at}: ${String(ours.type)} here, ${String(theirs.type)} in the contract`];
  if (Array.isArray(ours.enum) && Array.isArray(theirs.enum)) {
    const extra = ours.enum.filter((value) => !(theirs.enum as unknown[]).includes(value));
    if (extra.length) return [`${at}: ${extra.join(', ')} is not among the contract's values`];
  }
  if (ours.type === 'array') return incompatibilities(ours.items as Schema, theirs.items as Schema, `${at}[]`);
  if (ours.type !== 'object') return [];
  const theirProperties = (theirs.properties ?? {}) as Record<string, Schema>;
  return Object.entries((ours.properties ?? {}) as Record<string, Schema>).flatMap(([name, property]) => {
    if (!theirProperties[name]) return missingField(property, `${at}.${name}`);
    if (property[WEBEX_DOCS_KEY] !== undefined) {
      return [`${at}.${name}: marked undocumentedInOpenApi, but the contract has it now: drop the mark`];
    }
    return incompatibilities(property, theirProperties[name], `${at}.${name}`);
  });
}

function operationOf(call: WebexCall) {
  return document.paths[call.path]?.get;
}

/** The schema of what the service reads from one answer (a list: from one item). */
function answerSchema(call: WebexCall): Schema {
  return z.toJSONSchema(call.kind === 'list' ? call.item : call.answer, { io: 'output' });
}

function contractAnswerSchema(call: WebexCall): Schema {
  const operation = operationOf(call);
  const body = resolve(
    (operation?.responses['200']?.content as Record<string, { schema: Schema }>)['application/json'].schema,
  );
  return call.kind === 'list' ? resolve((body.properties as Record<string, Schema>).items.items as Schema) : body;
}

const calls = Object.entries(webexCalls) as [string, WebexCall][];

describe('Webex calls against Webex’s OpenAPI description', () => {
  it.each(calls)('%s is a GET the contract has, with a 200 JSON answer', (_name, call) => {
    const operation = operationOf(call);
    expect(operation).toBeDefined();
    expect(operation?.responses['200']?.content).toHaveProperty(['application/json']);
  });

  it.each(calls)('%s reads only fields the contract has, typed as it types them', (_name, call) => {
    expect(incompatibilities(answerSchema(call), contractAnswerSchema(call), call.path)).toEqual([]);
  });

  it.each(calls)('%s sends only query parameters the contract has, with values it allows', (_name, call) => {
    const parameters = (operationOf(call)?.parameters ?? []).map(resolve).filter((p) => p.in === 'query');
    const query = z.toJSONSchema(call.query, { io: 'input' }) as Schema;
    const problems = Object.entries((query.properties ?? {}) as Record<string, Schema>).flatMap(([name, ours]) => {
      const theirs = parameters.find((p) => p.name === name);
      return theirs
        ? incompatibilities(ours, theirs.schema as Schema, `?${name}`)
        : [`?${name}: not a parameter of ${call.path}`];
    });
    expect(problems).toEqual([]);
  });

  it.each(calls)('%s has the path parameters its path names', (_name, call) => {
    const declared = (operationOf(call)?.parameters ?? [])
      .map(resolve)
      .filter((p) => p.in === 'path')
      .map((p) => p.name);
    expect([...call.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])).toEqual(declared);
  });

  const room = resolve({ $ref: '#/components/schemas/Room' });

  it('catches a field the contract does not have, a wrong type and a value it does not allow', () => {
    const wrong = z.toJSONSchema(
      z.object({ id: z.number(), colour: z.string(), type: z.enum(['direct', 'group', 'team']) }),
    ) as Schema;
    expect(incompatibilities(wrong, room, 'Room')).toEqual([
      'Room.id: number here, string in the contract',
      'Room.colour: the contract has no such field',
      "Room.type: team is not among the contract's values",
    ]);
  });

  describe('a field Webex documents but its OpenAPI description lacks (undocumentedInOpenApi)', () => {
    const page: WebexDocsUrl = 'https://developer.webex.com/docs/api/v1/rooms/get-room-details';
    const declared = (colour: z.ZodType) => z.toJSONSchema(z.object({ id: z.string(), colour })) as Schema;

    it('is taken with the page of Webex’s API reference that shows it', () => {
      expect(incompatibilities(declared(undocumentedInOpenApi(z.string(), page)), room, 'Room')).toEqual([]);
      expect(incompatibilities(declared(undocumentedInOpenApi(z.string(), page).optional()), room, 'Room')).toEqual([]);
      expect(incompatibilities(declared(undocumentedInOpenApi(z.string().optional(), page)), room, 'Room')).toEqual([]);
    });

    it.each([
      ['no mark', z.string(), 'Room.colour: the contract has no such field'],
      [
        'a mark without a page',
        z.string().meta({ [WEBEX_DOCS_KEY]: 'see the docs' }),
        'Room.colour: the contract has no such field, and "see the docs" is not a page of https://developer.webex.com/',
      ],
      [
        'a page elsewhere',
        undocumentedInOpenApi(z.string(), 'https://developer.webex.com.example/x' as WebexDocsUrl),
        'Room.colour: the contract has no such field, and "https://developer.webex.com.example/x" is not a page of https://developer.webex.com/',
      ],
      [
        'the bare site',
        undocumentedInOpenApi(z.string(), 'https://developer.webex.com/'),
        'Room.colour: the contract has no such field, and "https://developer.webex.com/" is not a page of https://developer.webex.com/',
      ],
    ])('is refused with %s', (_case, colour, problem) => {
      expect(incompatibilities(declared(colour), room, 'Room')).toEqual([problem]);
    });

    it('is refused once the contract has the field', () => {
      const title = z.toJSONSchema(z.object({ title: undocumentedInOpenApi(z.string(), page) })) as Schema;
      expect(incompatibilities(title, room, 'Room')).toEqual([
        'Room.title: marked undocumentedInOpenApi, but the contract has it now: drop the mark',
      ]);
    });
  });
});
