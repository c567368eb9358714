/**
 * The http kind: a request to a URL on a fresh connection, judged by its status and body
 * (the engine is check.ts and hop.ts).
 */
import { X509Certificate } from 'node:crypto';
import { type Static, Type } from '@sinclair/typebox';
import { ASSERTION_OPS, parseJsonPath, regexProblem } from '../assertions.js';
import { runCheck } from '../check.js';
import { MAX_REDIRECTS } from '../redirects.js';
import { HTTP_METHODS, type HttpAuth } from '../types.js';
import { checkMonitorUrl } from '../url.js';
import { defineKind, type SettingsProblem } from './kind.js';
import { PATTERN_MESSAGE } from './schema.js';

const StatusRange = Type.String({
  pattern: '^[1-5](?:[0-9]{2}(?:-[1-5][0-9]{2})?|xx)$',
  [PATTERN_MESSAGE]:
    'must be a status code or range of codes from 100 to 599, or a class, like "304", "200-299" or "2xx"',
});

const orNull = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { default: null, description });

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Control characters (but tab), and anything beyond Latin-1, cannot be sent in a header. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it finds
const BAD_HEADER_VALUE = /[\0-\x08\x0a-\x1f\x7f\u0100-\uffff]/;
/** Headers the checker writes itself: framing, connection and the codings it can decode. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'accept-encoding',
  'te',
  'upgrade',
]);

const HttpSettingsSchema = Type.Object({
  url: Type.String({
    minLength: 1,
    maxLength: 2048,
    description: 'http or https URL with a real host; no credentials',
  }),
  method: Type.Union(
    HTTP_METHODS.map((method) => Type.Literal(method)),
    { default: 'GET' },
  ),
  headers: Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Type.String({ maxLength: 4096 }), {
    default: {},
    maxProperties: 50,
    description: 'Request headers, name to value',
  }),
  secretHeaders: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
    default: [],
    maxItems: 50,
    uniqueItems: true,
    description:
      'Names of headers whose values are secret: masked in answers, kept when an update sends them masked',
  }),
  body: orNull(Type.String({ maxLength: 16_384 }), 'Request body, sent with Content-Length'),
  auth: orNull(
    Type.Union([
      Type.Object(
        {
          type: Type.Literal('basic'),
          username: Type.String({ minLength: 1, maxLength: 200 }),
          // Optional here so that an update may leave it out and keep the stored one; required in the end.
          password: Type.Optional(Type.String({ maxLength: 500 })),
        },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          type: Type.Literal('bearer'),
          token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
        },
        { additionalProperties: false },
      ),
    ]),
    'Basic or bearer credentials; the password or token is masked in answers and kept when an update leaves it out',
  ),
  ignoreTlsErrors: Type.Boolean({
    default: false,
    description: 'Accept any certificate (self-signed, expired, wrong name); it is still recorded',
  }),
  caCert: orNull(
    Type.String({ minLength: 1, maxLength: 16_384 }),
    'A CA certificate (PEM) to trust instead of the public roots',
  ),
  expectedStatus: Type.Array(StatusRange, {
    minItems: 1,
    maxItems: 20,
    uniqueItems: true,
    default: ['200-299'],
    description: 'Status codes, inclusive ranges and classes ("2xx") that count as up',
  }),
  keyword: orNull(
    Type.String({ minLength: 1, maxLength: 500 }),
    'Text to look for in the body (case-sensitive)',
  ),
  keywordMode: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
    default: 'present',
    description: 'Whether the keyword must be present in, or absent from, the body',
  }),
  regex: orNull(
    Type.String({ minLength: 1, maxLength: 500 }),
    'A regular expression (JavaScript syntax) the body must match; patterns that could backtrack catastrophically are refused',
  ),
  assertions: Type.Array(
    Type.Object(
      {
        path: Type.String({
          minLength: 1,
          maxLength: 200,
          description: 'Such as $.status or $.items[0].name',
        }),
        op: Type.Union(ASSERTION_OPS.map((op) => Type.Literal(op))),
        value: Type.Union([Type.String({ maxLength: 500 }), Type.Number(), Type.Boolean(), Type.Null()]),
      },
      { additionalProperties: false },
    ),
    { default: [], maxItems: 20, description: 'JSON values the body must hold' },
  ),
  followRedirects: Type.Boolean({ default: true, description: 'Follow redirects (up to maxRedirects)' }),
  maxRedirects: Type.Integer({ minimum: 0, maximum: 10, default: MAX_REDIRECTS }),
  degradedAboveMs: orNull(
    Type.Integer({ minimum: 1, maximum: 60_000 }),
    'Up, but flagged degraded, when the response takes longer than this',
  ),
});
type HttpSettings = Static<typeof HttpSettingsSchema>;

export const httpKind = defineKind({
  name: 'http',
  settings: HttpSettingsSchema,
  secrets: (settings) => [
    ['auth', 'password'],
    ['auth', 'token'],
    ...settings.secretHeaders.flatMap((secret) =>
      Object.keys(settings.headers)
        .filter((name) => name.toLowerCase() === secret.toLowerCase())
        .map((name) => ['headers', name]),
    ),
  ],
  refine(settings) {
    const url = checkMonitorUrl(settings.url);
    if (!url.ok) return { field: 'url', problem: url.problem };
    for (const [i, range] of settings.expectedStatus.entries()) {
      const [low, high = low] = range.split('-').map(Number);
      if (low! > high!)
        return {
          field: `expectedStatus/${i}`,
          problem: 'must be a range whose first code is not above its last',
        };
    }
    const problem = headersProblem(settings) ?? authProblem(settings.auth) ?? bodyChecksProblem(settings);
    if (problem) return problem;
    if (settings.caCert !== null) {
      try {
        new X509Certificate(settings.caCert);
      } catch {
        return {
          field: 'caCert',
          problem: 'must be a certificate in PEM form (-----BEGIN CERTIFICATE-----)',
        };
      }
    }
    return { ...settings, url: url.url.href };
  },
  target: (settings) => settings.url,
  defaultName: (settings) => new URL(settings.url).host,
  probe: (settings, options) =>
    runCheck({
      ...options,
      url: settings.url,
      method: settings.method,
      headers: settings.headers,
      body: settings.body,
      auth: authOf(settings.auth),
      ignoreTlsErrors: settings.ignoreTlsErrors,
      ...(settings.caCert === null ? {} : { ca: settings.caCert }),
      expectedStatus: settings.expectedStatus,
      keyword: settings.keyword,
      keywordMode: settings.keywordMode,
      regex: settings.regex,
      assertions: settings.assertions,
      followRedirects: settings.followRedirects,
      maxRedirects: settings.maxRedirects,
      degradedAboveMs: settings.degradedAboveMs,
    }),
});

function headersProblem({ headers, secretHeaders, auth }: HttpSettings): SettingsProblem | null {
  const names = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    const field = `headers/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) return { field, problem: 'is not a valid header name' };
    if (RESERVED_HEADERS.has(lower)) return { field, problem: 'is set by the checker and cannot be given' };
    if (lower === 'authorization' && auth !== null) return { field, problem: 'cannot be given beside auth' };
    if (names.has(lower)) return { field, problem: 'is given twice (header names ignore case)' };
    if (BAD_HEADER_VALUE.test(value))
      return { field, problem: 'must not contain line breaks or control characters' };
    names.add(lower);
  }
  const index = secretHeaders.findIndex((name) => !names.has(name.toLowerCase()));
  return index === -1 ? null : { field: `secretHeaders/${index}`, problem: 'must name one of the headers' };
}

function authProblem(auth: HttpSettings['auth']): SettingsProblem | null {
  if (auth === null) return null;
  if (auth.type === 'basic') {
    if (auth.password === undefined) return { field: 'auth/password', problem: 'is required' };
    if (auth.username.includes(':')) return { field: 'auth/username', problem: 'must not contain ":"' };
    if (BAD_HEADER_VALUE.test(auth.username))
      return { field: 'auth/username', problem: 'must not contain control characters' };
    return null;
  }
  if (auth.token === undefined) return { field: 'auth/token', problem: 'is required' };
  return /^[\x21-\x7e]+$/.test(auth.token)
    ? null
    : { field: 'auth/token', problem: 'must be visible ASCII characters' };
}

function bodyChecksProblem({ regex, assertions }: HttpSettings): SettingsProblem | null {
  if (regex !== null) {
    const problem = regexProblem(regex);
    if (problem) return { field: 'regex', problem };
  }
  for (const [i, assertion] of assertions.entries()) {
    if (parseJsonPath(assertion.path) === null)
      return {
        field: `assertions/${i}/path`,
        problem: 'must be a JSON path such as $.status or $.items[0].name',
      };
    if (
      (assertion.op === 'lessThan' || assertion.op === 'greaterThan') &&
      typeof assertion.value !== 'number'
    )
      return { field: `assertions/${i}/value`, problem: `must be a number for ${assertion.op}` };
  }
  return null;
}

/** Stored credentials are complete (refine requires them); the types allow a partial update. */
function authOf(auth: HttpSettings['auth']): HttpAuth | null {
  if (auth === null) return null;
  return auth.type === 'basic'
    ? { type: 'basic', username: auth.username, password: auth.password ?? '' }
    : { type: 'bearer', token: auth.token ?? '' };
}
