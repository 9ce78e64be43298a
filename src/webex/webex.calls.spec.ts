import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { WEBEX_CONTRACT_FILE } from './contract';
import type { WebexCall } from './webex-call';
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
  return Object.entries((ours.properties ?? {}) as Record<string, Schema>).flatMap(([name, property]) =>
    theirProperties[name]
      ? incompatibilities(property, theirProperties[name], `${at}.${name}`)
      : [`${at}.${name}: the contract has no such field`],
  );
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

  it('catches a field the contract does not have, a wrong type and a value it does not allow', () => {
    const room = contractAnswerSchema(webexCalls.rooms);
    const wrong = z.toJSONSchema(
      z.object({ id: z.number(), colour: z.string(), type: z.enum(['direct', 'group', 'team']) }),
    ) as Schema;
    expect(incompatibilities(wrong, room, 'Room')).toEqual([
      'Room.id: number here, string in the contract',
      'Room.colour: the contract has no such field',
      "Room.type: team is not among the contract's values",
    ]);
  });
});
