import { FormatRegistry, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';

/**
 * Request validation with TypeBox's compiled checks instead of Fastify's default Ajv, for two reasons:
 * JSON bodies are checked strictly (Ajv's default coercion would turn `"intervalSeconds": "60"` or
 * `"name": 5` into valid input), while query strings and path parameters, which are text by nature, are
 * converted first (see convertText). Only the first error is reported, as "<part>/<field> <what is wrong>".
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** RFC 3339 date-time with an offset, and a real calendar date (no 2024-02-30). */
export function isDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as number[];
  const probe = new Date(Date.UTC(year!, month! - 1, day!));
  return (
    probe.getUTCMonth() === month! - 1 &&
    probe.getUTCDate() === day &&
    hour! < 24 &&
    minute! < 60 &&
    second! < 60 &&
    !Number.isNaN(Date.parse(value))
  );
}

// TypeBox checks only formats it knows; these are the ones our schemas use.
if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', (v) => UUID.test(v));
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', isDateTime);

const FORMAT_MESSAGES: Record<string, string> = {
  uuid: 'must be a UUID',
  'date-time': 'must be an ISO 8601 date-time with a time zone, e.g. 2025-01-31T12:00:00Z',
};

/** A schema may carry its own message for pattern failures, under this key (not serialised to OpenAPI). */
export const PATTERN_MESSAGE = Symbol.for('better-uptime.patternMessage');

function typeName(schema: TSchema): string {
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as TSchema[]).map(typeName).join(' or ');
  if ('const' in schema) return JSON.stringify(schema.const);
  switch (schema.type) {
    case 'integer':
      return 'an integer';
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    case 'null':
      return 'null';
    default:
      return `a ${String(schema.type)}`;
  }
}

function describe(error: ValueError): string {
  const s = error.schema as unknown as Record<string | symbol, unknown>;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ObjectAdditionalProperties:
      return 'is not an allowed property';
    case ValueErrorType.ObjectMinProperties:
      return `must have at least ${String(s.minProperties)} ${s.minProperties === 1 ? 'property' : 'properties'}`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `must be >= ${String(s.minimum)}`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `must be <= ${String(s.maximum)}`;
    case ValueErrorType.StringMinLength:
      return s.minLength === 1 ? 'must not be empty' : `must be at least ${String(s.minLength)} characters`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${String(s.maxLength)} characters`;
    case ValueErrorType.StringPattern:
      return typeof s[PATTERN_MESSAGE] === 'string'
        ? s[PATTERN_MESSAGE]
        : `must match pattern ${String(s.pattern)}`;
    case ValueErrorType.StringFormat:
      return FORMAT_MESSAGES[String(s.format)] ?? `must be in ${String(s.format)} format`;
    case ValueErrorType.ArrayMinItems:
      return `must have at least ${String(s.minItems)} ${s.minItems === 1 ? 'item' : 'items'}`;
    case ValueErrorType.ArrayMaxItems:
      return `must have at most ${String(s.maxItems)} items`;
    case ValueErrorType.ArrayUniqueItems:
      return 'must not contain duplicates';
    case ValueErrorType.Union: {
      // A union of constants is an enumeration: list the choices.
      const variants = (s.anyOf as TSchema[] | undefined) ?? [];
      if (variants.length > 0 && variants.every((v) => 'const' in v)) {
        return `must be one of: ${variants.map((v) => String(v.const)).join(', ')}`;
      }
      // Otherwise report the variant of the same JSON type as the value, if any (e.g. a too long string
      // for "string or null"), else say which types are accepted.
      const sameType = error.errors
        .map((iterator) => iterator.First())
        .find(
          (e) =>
            e !== undefined && e.type !== ValueErrorType.Null && jsonKind(e.value) === schemaKind(e.schema),
        );
      return sameType ? describe(sameType) : `must be ${typeName(error.schema)}`;
    }
    case ValueErrorType.Literal:
      return `must be ${JSON.stringify(s.const)}`;
    default:
      return `must be ${typeName(error.schema)}`;
  }
}

/** The JSON kind of a value or of a schema; integers count as numbers. */
function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function schemaKind(schema: TSchema): string {
  return schema.type === 'integer' ? 'number' : String(schema.type ?? '');
}

/**
 * Query strings and path parameters arrive as text. Text that spells an integer (or a boolean) exactly
 * becomes one where the schema wants it; anything else is left alone for the check to reject, so
 * "2.5" or "1e3" is not quietly taken as an integer. Our query and path schemas are flat objects.
 */
function convertText(schema: TSchema, input: unknown): unknown {
  if (typeof input !== 'object' || input === null || schema.type !== 'object') return input;
  const properties = (schema.properties ?? {}) as Record<string, TSchema>;
  const output: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const type = properties[key]?.type;
    if (typeof value === 'string' && type === 'integer' && /^-?\d{1,15}$/.test(value)) {
      output[key] = Number(value);
    } else if (typeof value === 'string' && type === 'boolean' && (value === 'true' || value === 'false')) {
      output[key] = value === 'true';
    } else {
      output[key] = value;
    }
  }
  return output;
}

export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema);
  const convert = httpPart !== 'body';
  return (input: unknown) => {
    const value = convert ? convertText(schema, input) : input;
    if (check.Check(value)) return { value };
    const first = check.Errors(value).First();
    const error: FastifySchemaValidationError = {
      keyword: first ? ValueErrorType[first.type] : 'unknown',
      instancePath: first?.path ?? '',
      schemaPath: '',
      params: {},
      message: first ? describe(first) : 'is invalid',
    };
    return { error: [error] };
  };
};
