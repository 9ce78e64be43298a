import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv, { type ValidateFunction } from 'ajv';
import type { Response } from 'supertest';

type Schema = Record<string, unknown>;
interface Operation {
  responses: Record<string, { content?: Record<string, { schema: Schema }>; headers?: Record<string, unknown> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
}

/**
 * Checks answers against an OpenAPI 3 document: the document itself by @apidevtools/swagger-parser
 * (a maintained validator of the OpenAPI specification), each answer's body by Ajv against the
 * schema the document gives for its path, method, status and content type.
 */
export class OpenApiAnswers {
  private readonly validators = new Map<Schema, ValidateFunction>();
  private readonly ajv = new Ajv({ strict: false, allErrors: true });

  private constructor(private readonly document: Document) {
    this.ajv.addFormat(
      'date-time',
      (text: string) => /^\d{4}-\d\d-\d\dT/.test(text) && !Number.isNaN(Date.parse(text)),
    );
  }

  /** Validates the document (throws with the validator's findings) and prepares its schemas. */
  static async from(document: unknown): Promise<OpenApiAnswers> {
    await SwaggerParser.validate(structuredClone(document) as never);
    const dereferenced = await SwaggerParser.dereference(structuredClone(document) as never);
    return new OpenApiAnswers(dereferenced as unknown as Document);
  }

  /** What is wrong with this answer by the document: nothing is []. */
  problems(method: string, url: string, response: Response): string[] {
    const path = new URL(url, 'http://x').pathname;
    const template = Object.keys(this.document.paths).find((candidate) =>
      new RegExp(`^${candidate.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path),
    );
    if (!template) return [`${path} is not in the document`];
    const operation = this.document.paths[template][method.toLowerCase()];
    if (!operation) return [`${method} ${template} is not in the document`];
    const documented = operation.responses[String(response.status)] ?? operation.responses.default;
    const where = `${method} ${template} ${response.status}`;
    if (!documented) return [`${where} is not documented`];
    const problems: string[] = [];
    for (const header of Object.keys(documented.headers ?? {})) {
      if (response.headers[header.toLowerCase()] === undefined) problems.push(`${where} lacks the ${header} header`);
    }
    const contentType = String(response.headers['content-type'] ?? '').split(';')[0];
    if (!documented.content) {
      if (response.text) problems.push(`${where} has a body the document does not describe`);
      return problems;
    }
    const media = documented.content[contentType];
    if (!media)
      return [
        ...problems,
        `${where} answered ${contentType || 'no content type'}, documented: ${Object.keys(documented.content).join(', ')}`,
      ];
    let validate = this.validators.get(media.schema);
    if (!validate) this.validators.set(media.schema, (validate = this.ajv.compile(closed(media.schema) as Schema)));
    if (!validate(JSON.parse(response.text))) {
      problems.push(...(validate.errors ?? []).map((e) => `${where}: ${e.instancePath || 'body'} ${e.message ?? ''}`));
    }
    return problems;
  }
}

/**
 * The schema with no room for fields it does not name (OpenAPI leaves objects open): an answer
 * with one more field than documented, a token say, fails.
 */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, closed(value)]));
  return 'properties' in copy && !('additionalProperties' in copy) ? { ...copy, additionalProperties: false } : copy;
}
