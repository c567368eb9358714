import type { InjectOptions } from 'fastify';
import type { Database } from '@better-uptime/db';
import { testServer, type TestServer } from './helpers.js';

/** The JSON Schema subset that the route schemas use (TypeBox's output). */
export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  minProperties?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
}

export type Method = 'get' | 'post' | 'put' | 'delete';

export interface Parameter {
  in: 'path' | 'query';
  name: string;
  required: boolean;
  schema: JsonSchema;
}

/** One route of the OpenAPI document, as the generated suites (authorization matrix, fuzzer) need it. */
export interface Operation {
  method: Method;
  /** As documented, with `{name}` for path parameters. */
  path: string;
  /** `method path`, e.g. `get /api/monitor/{id}`. */
  key: string;
  /** Whether the route needs credentials (it documents a security requirement). */
  secured: boolean;
  /** The documented success status. */
  success: number;
  documented: Set<number>;
  parameters: Parameter[];
  body: JsonSchema | undefined;
  /** The success answer is an event stream, which never ends: see injectOperation. */
  streaming: boolean;
}

interface Document {
  components?: { schemas?: Record<string, unknown> };
  paths: Record<
    string,
    Record<
      string,
      {
        security?: unknown[];
        responses: object;
        parameters?: Parameter[];
        requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
      }
    >
  >;
}

/** A schema with each `$ref` to `components.schemas` replaced by what it names (the document has no cycles). */
function inlined<T>(node: T, schemas: Record<string, unknown>): T {
  if (Array.isArray(node)) return node.map((item) => inlined(item, schemas)) as T;
  if (typeof node !== 'object' || node === null) return node;
  const { $ref, ...rest } = node as { $ref?: string } & Record<string, unknown>;
  const target = $ref === undefined ? {} : inlined(schemas[$ref.split('/').pop()!], schemas);
  const own = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, inlined(value, schemas)]));
  return { ...(target as object), ...own } as T;
}

/** The document with every reference to a named schema replaced by the schema, as tests read it. */
export function inlinedDocument<T extends { components?: { schemas?: Record<string, unknown> } }>(
  document: T,
): T {
  return inlined(document, document.components?.schemas ?? {});
}

export function operationsOf(document: Document): Operation[] {
  const doc = inlinedDocument(document);
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const documented = new Set(Object.keys(op.responses).map(Number));
      return {
        method: method as Method,
        path,
        key: `${method} ${path}`,
        secured: (op.security?.length ?? 0) > 0,
        success: Math.min(...[...documented].filter((s) => s >= 200 && s < 300)),
        documented,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content['application/json'].schema,
        streaming: JSON.stringify(op.responses).includes('"text/event-stream"'),
      };
    }),
  );
}

/**
 * The routes as the API documents them, without a database (building the document touches none), so
 * a suite can make one test per route when it is collected.
 */
export async function documentedOperations(): Promise<Operation[]> {
  const app = testServer({} as Database);
  await app.ready();
  const doc = app.swagger() as unknown as Document;
  await app.close();
  return operationsOf(doc);
}

/** What the generated suites read of an answer. */
export interface Answer {
  statusCode: number;
  body: string;
  json(): unknown;
}

/**
 * Calls an operation as `inject` does. An event stream's answer is read up to its first chunk (its
 * headers and the `retry:` line), then let go: the stream stays open until the server closes.
 */
export async function injectOperation(
  app: TestServer,
  op: Operation,
  options: InjectOptions,
): Promise<Answer> {
  if (!op.streaming) return app.inject(options);
  const res = await app.inject({ ...options, payloadAsStream: true });
  const stream = res.stream();
  const body = await new Promise<string>((resolve, reject) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (res.statusCode === 200) resolve(text);
    });
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
  stream.destroy();
  return { statusCode: res.statusCode, body, json: () => JSON.parse(body) as unknown };
}
