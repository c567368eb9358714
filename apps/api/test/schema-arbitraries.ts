import fc from 'fast-check';
import type { JsonSchema } from './openapi-operations.js';

/**
 * fast-check arbitraries for fuzzing routes from their JSON schemas: values that mostly fit the schema
 * (so requests get past validation into the handlers), mixed at every depth with values that do not
 * (wrong types, bounds, NUL bytes, odd Unicode, huge strings, dates PostgreSQL cannot store).
 */

/** Strings that break things: NUL, lone surrogates, direction overrides, invisible and combining marks, SQL and path tricks. */
export const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '\ufeffbom',
  '\u202eevil',
  'zero\u200bwidth',
  'e\u0301\u0301\u0301',
  '👩‍👩‍👧‍👦',
  '\uffff\ufffe',
  '１２３',
  "' OR 1=1 --",
  '%',
  '_',
  '\\',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '${jndi:ldap://127.0.0.1/a}',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  'x'.repeat(10_000),
];

/** Times PostgreSQL or JavaScript refuse or read oddly, and its special date words. */
export const HOSTILE_DATES = [
  '0000-01-01T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  '+275760-09-13T00:00:00.001Z',
  '9999-12-31T23:59:59.999999Z',
  '2024-02-30T00:00:00Z',
  '2024-13-01T00:00:00Z',
  '2024-01-01T24:00:00Z',
  '2024-01-01T23:59:60Z',
  '2024-01-01T00:00:00+16:00',
  '2024-01-01T00:00:00-15:59',
  '2024-01-01T00:00:00.1234567891Z',
  '1970-01-01T00:00:00Z',
  '4714-11-24T00:00:00Z',
  '2024-01-01',
  '2024-01-01T00:00:00',
  'now',
  'infinity',
  '-infinity',
  'epoch',
  'allballs',
  'today',
];

const HOSTILE_NUMBERS = [-1, 0, -0, 0.5, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 53), 1e308, -1e308, 1e-308];

/** Any JSON value of the wrong kind: a scalar of another type, or a container. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, {}, [], [null], { '': 0 }),
  fc.constantFrom(...HOSTILE_NUMBERS),
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.constantFrom(...HOSTILE_DATES),
  fc.jsonValue({ maxDepth: 3 }),
);

export interface SchemaContext {
  /** Ids for uuid fields: the caller's own resources, someone else's, ones that never existed. */
  uuids: readonly string[];
  /** Plausible values for string fields by property name (URLs, emails, time zones...). */
  examples: Readonly<Record<string, readonly string[]>>;
}

/**
 * A value for `schema` (of a property named `name`): one that fits it throughout (hostile only where the
 * schema allows, such as a NUL byte in free text or a date PostgreSQL cannot store), or with `mutate` one
 * where any part may be wrong.
 */
export function valueOf(
  schema: JsonSchema,
  ctx: SchemaContext,
  name: string,
  mutate: boolean,
): fc.Arbitrary<unknown> {
  const fits = fitting(schema, ctx, name, mutate);
  return mutate ? fc.oneof({ weight: 5, arbitrary: fits }, { weight: 1, arbitrary: wrongValue }) : fits;
}

function fitting(
  schema: JsonSchema,
  ctx: SchemaContext,
  name: string,
  mutate: boolean,
): fc.Arbitrary<unknown> {
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return fc.oneof(...variants.map((s) => fitting(s, ctx, name, mutate)));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'object':
      return objectOf(schema, ctx, mutate);
    case 'array': {
      const items = schema.items ? valueOf(schema.items, ctx, name, mutate) : fc.jsonValue();
      const constraints = { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 6, 6) };
      return schema.uniqueItems
        ? fc.uniqueArray(items, { ...constraints, selector: (v) => JSON.stringify(v) })
        : fc.array(items, constraints);
    }
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? -(2 ** 31);
      const max = schema.maximum ?? 2 ** 31;
      const edges = [min, max, ...(mutate ? [min - 1, max + 1, ...HOSTILE_NUMBERS] : [])];
      return fc.oneof(fc.integer({ min, max }), fc.constantFrom(...edges));
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'string':
      return stringOf(schema, ctx, name, mutate);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringOf(
  schema: JsonSchema,
  ctx: SchemaContext,
  name: string,
  mutate: boolean,
): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = schema.maxLength ?? 4096;
  const pattern = schema.pattern ? new RegExp(schema.pattern, 'u') : undefined;
  const fits = (s: string) =>
    mutate || (s.length >= minLength && s.length <= maxLength && (!pattern || pattern.test(s)));
  const pick = (values: readonly string[]) => {
    const usable = values.filter(fits);
    return usable.length > 0 ? [fc.constantFrom(...usable)] : [];
  };
  if (schema.format === 'uuid') {
    return fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...ctx.uuids) },
      fc.uuid(),
      ...pick(mutate ? HOSTILE_STRINGS : []),
    );
  }
  if (schema.format === 'date-time') {
    const date = fc
      .date({
        min: new Date('1990-01-01T00:00:00Z'),
        max: new Date('2100-01-01T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString());
    return fc.oneof({ weight: 3, arbitrary: date }, fc.constantFrom(...HOSTILE_DATES));
  }
  const examples = pick(ctx.examples[name] ?? []);
  const options: Array<fc.Arbitrary<string>> = [
    ...examples,
    ...examples,
    ...pick(HOSTILE_STRINGS),
    ...pick(['y'.repeat(maxLength), 'y'.repeat(maxLength + 1)]),
  ];
  const matching = pattern && patternArbitrary(pattern);
  if (matching) {
    options.push(matching.filter((s) => s.length >= minLength && s.length <= maxLength));
  } else {
    const bounds = { minLength, maxLength: Math.min(maxLength, 100) };
    options.push(fc.string({ ...bounds, unit: 'grapheme' }), fc.string({ ...bounds, unit: 'binary' }));
  }
  if (mutate) options.push(fc.string({ maxLength: 20 }));
  return fc.oneof(...options);
}

function objectOf(schema: JsonSchema, ctx: SchemaContext, mutate: boolean): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const required = schema.required ?? [];
  const shaped = fc.record(
    Object.fromEntries(Object.entries(properties).map(([key, s]) => [key, valueOf(s, ctx, key, mutate)])),
    { requiredKeys: required.filter((key) => key in properties) },
  );
  if (!mutate) return shaped;
  // Sometimes a required field is left out, or an unknown one (or a prototype key) comes along.
  return fc.oneof(
    { weight: 4, arbitrary: shaped },
    {
      weight: 1,
      arbitrary: fc
        .tuple(shaped, fc.constantFrom(...required, 'unknownField', '__proto__', 'constructor'))
        .map(([value, key]) => {
          const copy = { ...(value as Record<string, unknown>) };
          if (key in copy) delete copy[key];
          else Object.defineProperty(copy, key, { value: { polluted: true }, enumerable: true });
          return copy;
        }),
    },
  );
}

/** Request bodies that are not JSON a schema can even see: broken syntax, other types, deep nesting. */
export const RAW_BODIES = [
  '{',
  '{"a":',
  '[1,2',
  'nul',
  '{"a":1}{',
  "{'a':1}",
  '{"a":1,}',
  '\u0000',
  '\ufeff{}',
  'null',
  '1',
  '"text"',
  '[]',
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '['.repeat(30_000) + ']'.repeat(30_000),
  '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000),
  `{"a":"${'x'.repeat(70_000)}"}`,
];

/** Content types a client might send instead of application/json. */
export const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/jsonx',
  '',
];

/** Strings matching `pattern`, or null for a pattern fast-check cannot generate from (lookarounds). */
function patternArbitrary(pattern: RegExp): fc.Arbitrary<string> | null {
  try {
    return fc.stringMatching(pattern);
  } catch {
    return null;
  }
}
