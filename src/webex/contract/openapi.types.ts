/** The parts of an OpenAPI 3.0 document this project reads; anything else is carried along untyped. */
export type JsonObject = { [key: string]: unknown };

/** An OpenAPI 3.0 Schema Object: JSON Schema (Wright draft 00) with OpenAPI's own keywords such as `nullable`. */
export type SchemaObject = JsonObject;

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'options' | 'head' | 'patch' | 'trace';

export const HTTP_METHODS: readonly HttpMethod[] = [
  'get',
  'put',
  'post',
  'delete',
  'options',
  'head',
  'patch',
  'trace',
];

export interface ParameterObject {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required?: boolean;
  schema?: SchemaObject;
  [key: string]: unknown;
}

export interface ResponseObject {
  description?: string;
  headers?: Record<string, { schema?: SchemaObject; [key: string]: unknown }>;
  content?: Record<string, { schema?: SchemaObject; [key: string]: unknown }>;
}

export interface OperationObject {
  operationId?: string;
  parameters?: ParameterObject[];
  responses: Record<string, ResponseObject>;
  [key: string]: unknown;
}

export type PathItemObject = { [method in HttpMethod]?: OperationObject } & { parameters?: ParameterObject[] };

export interface OpenApiDocument {
  openapi: string;
  info: JsonObject;
  paths: Record<string, PathItemObject>;
  components?: { schemas?: Record<string, SchemaObject> };
}
