import { FormatRegistry, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { PATTERN_MESSAGE } from '@better-uptime/checker';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';

/**
 * Request validation with TypeBox's compiled checks instead of Fastify's default Ajv, for two reasons:
 * JSON bodies are checked strictly (Ajv's default coercion would turn `"intervalSeconds": "60"` or
 * `"name": 5` into valid input), while query strings and path parameters, which are text by nature, are
 * converted first (see convertText). Every invalid field is reported (up to MAX_ERRORS, one problem each),
 * worded for people: "must be at least 30".
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** RFC 3339 date-time with an offset, and a real calendar date (no 2024-02-30). */
export function isDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as number[];
  const probe = new Date(Date.UTC(year!, month! - 1, day!));
  // PostgreSQL has no year 0 and refuses offsets beyond ±15:59.
  const offset = /^[+-](\d{2}):(\d{2})$/.exec(m[8]!);
  if (year === 0 || (offset && (Number(offset[1]) > 15 || Number(offset[2]) > 59))) return false;
  probe.setUTCFullYear(year!); // Date.UTC maps years 0-99 to 1900-1999
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
export { PATTERN_MESSAGE };

/**
 * A union of object schemas told apart by one property (OpenAPI's `discriminator`) is checked against the
 * one variant the value names, so an error names the field of that variant instead of listing every
 * variant. The union may carry, under this key, the schema for a value that names none (the default kind
 * when creating, or a looser schema for a partial update).
 */
export const UNNAMED_VARIANT = Symbol.for('better-uptime.unnamedVariant');

interface Discriminated {
  property: string;
  variants: Map<string, TypeCheck<TSchema>>;
  unnamed: TypeCheck<TSchema> | undefined;
}

function discriminated(schema: TSchema): Discriminated | null {
  const property = (schema.discriminator as { propertyName?: string } | undefined)?.propertyName;
  if (!property || !Array.isArray(schema.anyOf)) return null;
  const variants = new Map<string, TypeCheck<TSchema>>();
  for (const variant of schema.anyOf as TSchema[]) {
    const name = (variant.properties as Record<string, TSchema> | undefined)?.[property]?.const;
    if (typeof name === 'string') variants.set(name, TypeCompiler.Compile(variant));
  }
  const unnamed = (schema as unknown as Record<symbol, TSchema | undefined>)[UNNAMED_VARIANT];
  return { property, variants, unnamed: unnamed ? TypeCompiler.Compile(unnamed) : undefined };
}

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
      return `must be at least ${String(s.minimum)}`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `must be at most ${String(s.maximum)}`;
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
  const union = discriminated(schema);
  const whole = union ? null : TypeCompiler.Compile(schema);
  const convert = httpPart !== 'body';
  return (input: unknown) => {
    const value = convert ? convertText(schema, input) : input;
    const check = whole ?? pickVariant(union!, value);
    if (!check) {
      const choices = [...union!.variants.keys()].join(', ');
      return { error: [validationError('Union', `/${union!.property}`, `must be one of: ${choices}`)] };
    }
    const errors = errorsOf(check, value);
    return errors.length > 0 ? { error: errors } : { value };
  };
};

/** At most this many problems are reported per request part. */
const MAX_ERRORS = 20;

function pickVariant(union: Discriminated, value: unknown): TypeCheck<TSchema> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return union.unnamed ?? union.variants.values().next().value;
  }
  const name = (value as Record<string, unknown>)[union.property];
  return name === undefined ? union.unnamed : union.variants.get(String(name));
}

/** The problems of a value, one per field (the first found there), worded for people; none when valid. */
function errorsOf(check: TypeCheck<TSchema>, value: unknown): FastifySchemaValidationError[] {
  if (check.Check(value)) {
    // PostgreSQL text cannot hold NUL: refused here, naming the field, instead of failing in the database.
    const nulAt = findNul(value, '');
    return nulAt === undefined
      ? []
      : [validationError('NulCharacter', nulAt, 'must not contain NUL characters')];
  }
  const errors: FastifySchemaValidationError[] = [];
  const seen = new Set<string>();
  for (const error of check.Errors(value)) {
    // A field inside one already reported (an item of a wrong array) adds nothing.
    if ([...seen].some((path) => error.path === path || error.path.startsWith(`${path}/`))) continue;
    seen.add(error.path);
    errors.push(validationError(ValueErrorType[error.type], error.path, describe(error)));
    if (errors.length >= MAX_ERRORS) break;
  }
  return errors.length > 0 ? errors : [validationError('unknown', '', 'is invalid')];
}

const compiledChecks = new WeakMap<TSchema, TypeCheck<TSchema>>();

/**
 * Checks a value the route's schema could not (a part of a body whose schema depends on stored data, such
 * as the settings of a monitor's kind in an update): the field (below `part`) and the problem, or null.
 */
export function problemOf(
  schema: TSchema,
  value: unknown,
  part: string,
): { field: string; problem: string } | null {
  let check = compiledChecks.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiledChecks.set(schema, check);
  }
  const [error] = errorsOf(check, value);
  return error ? { field: `${part}${error.instancePath}`, problem: error.message ?? 'is invalid' } : null;
}

function validationError(
  keyword: string,
  instancePath: string,
  message: string,
): FastifySchemaValidationError {
  return { keyword, instancePath, schemaPath: '', params: {}, message };
}

/**
 * The JSON pointer of the first string (or property name) holding a NUL character, if any. Walked with a
 * stack of its own, not recursion: a body nested thousands of levels deep must get its 400, not overflow
 * the call stack.
 */
function findNul(value: unknown, path: string): string | undefined {
  interface Step {
    value: unknown;
    key: string | null;
    parent: Step | null;
  }
  const pointer = (step: Step): string => {
    const keys: string[] = [];
    for (let at: Step | null = step; at?.key != null; at = at.parent)
      keys.push(at.key.replace(/~/g, '~0').replace(/\//g, '~1'));
    return (
      path +
      keys
        .reverse()
        .map((key) => `/${key}`)
        .join('')
    );
  };
  const stack: Step[] = [{ value, key: null, parent: null }];
  while (stack.length > 0) {
    const step = stack.pop()!;
    if (typeof step.value === 'string') {
      if (step.value.includes('\0')) return pointer(step);
      continue;
    }
    if (typeof step.value !== 'object' || step.value === null) continue;
    const entries = Object.entries(step.value);
    // Pushed in reverse, so the first property is looked at first, as a reader would.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, inner] = entries[i]!;
      const child: Step = { value: inner, key, parent: step };
      if (key.includes('\0')) return pointer(child);
      stack.push(child);
    }
  }
  return undefined;
}
