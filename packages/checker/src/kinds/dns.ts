/**
 * The dns kind: one query of a record type for a name, to the system's resolvers or a given one; up when
 * it answers and the answers hold the expected values (any or all of them). The answers are recorded.
 */
import { type CaaRecord, type MxRecord, promises as dns, type SoaRecord } from 'node:dns';
import { isIP } from 'node:net';
import { Type } from '@sinclair/typebox';
import { tidyMessage, type Failure } from '../errors.js';
import { refusalFor } from '../ssrf.js';
import type { CheckOutcome } from '../types.js';
import { hostProblem } from '../url.js';
import { defineKind } from './kind.js';

export const RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SOA', 'CAA'] as const;
type RecordType = (typeof RECORD_TYPES)[number];

/** "192.0.2.1", "192.0.2.1:5353", "[2001:db8::1]:53" or "2001:db8::1" to host and port; null when not so. */
export function parseResolver(text: string): { host: string; port: number } | null {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  const plain = /^([^:]+)(?::(\d{1,5}))?$/.exec(text);
  const [host, port] = bracketed
    ? [bracketed[1]!, bracketed[2]]
    : plain
      ? [plain[1]!, plain[2]]
      : isIP(text) === 6
        ? [text, undefined]
        : [null, undefined];
  if (host === null || isIP(host) === 0) return null;
  const number = port === undefined ? 53 : Number(port);
  return number >= 1 && number <= 65_535 ? { host, port: number } : null;
}

/** Every answer as one line of text, as people write the value they expect. */
function answerTexts(type: RecordType, answer: unknown): string[] {
  switch (type) {
    case 'MX':
      return (answer as MxRecord[]).map((r) => `${r.priority} ${r.exchange}`);
    case 'TXT':
      return (answer as string[][]).map((chunks) => chunks.join(''));
    case 'SOA': {
      const r = answer as SoaRecord;
      return [`${r.nsname} ${r.hostmaster} ${r.serial} ${r.refresh} ${r.retry} ${r.expire} ${r.minttl}`];
    }
    case 'CAA':
      return (answer as CaaRecord[]).map((r) => {
        // The record's one property besides `critical` is its tag (issue, issuewild, iodef, ...); Node 24
        // also adds `type: 'CAA'`, which is not one.
        const [tag, value] = Object.entries(r).find(([key]) => key !== 'critical' && key !== 'type') ?? [
          '',
          '',
        ];
        return `${r.critical} ${tag} "${String(value)}"`;
      });
    default:
      return answer as string[];
  }
}

/** Names compare without case and without a final dot. */
const normal = (text: string) => text.trim().toLowerCase().replace(/\.$/, '');

function failureOf(error: NodeJS.ErrnoException, hostname: string, type: string, server: string): Failure {
  switch (error.code) {
    case 'ENOTFOUND':
      return { reason: 'dns', message: `${hostname} does not exist (NXDOMAIN from ${server})` };
    case 'ENODATA':
      return { reason: 'dns', message: `${hostname} has no ${type} record (${server})` };
    case 'ESERVFAIL':
      return { reason: 'dns', message: `${server} failed to answer for ${hostname} (SERVFAIL)` };
    case 'EREFUSED':
      return { reason: 'dns', message: `${server} refused the query for ${hostname}` };
    case 'ETIMEOUT':
      return { reason: 'timeout', message: `${server} did not answer for ${hostname} in time` };
    case 'ECONNREFUSED':
      return { reason: 'connect', message: `${server} is not reachable (connection refused)` };
    default:
      return {
        reason: 'dns',
        message: tidyMessage(`query for ${hostname} failed: ${error.code ?? error.message}`),
      };
  }
}

export const dnsKind = defineKind({
  name: 'dns',
  settings: Type.Object({
    hostname: Type.String({ minLength: 1, maxLength: 253, description: 'The name to query' }),
    recordType: Type.Union(
      RECORD_TYPES.map((type) => Type.Literal(type)),
      { default: 'A' },
    ),
    resolver: Type.Union([Type.String({ minLength: 1, maxLength: 60 }), Type.Null()], {
      default: null,
      description: 'Resolver address ("192.0.2.1", "192.0.2.1:5353", "[2001:db8::1]:53"); null: the system’s',
    }),
    expected: Type.Array(Type.String({ minLength: 1, maxLength: 500 }), {
      default: [],
      maxItems: 20,
      description:
        'Values the answers must hold (A: "192.0.2.1", MX: "10 mail.example.com", TXT: the text, CAA: ' +
        '\'0 issue "letsencrypt.org"\'); empty: any answer will do',
    }),
    match: Type.Union([Type.Literal('any'), Type.Literal('all')], {
      default: 'any',
      description: 'Whether any or all of the expected values must be among the answers',
    }),
  }),
  secrets: () => [],
  refine(settings) {
    const problem = hostProblem(settings.hostname);
    if (problem) return { field: 'hostname', problem };
    if (settings.resolver !== null && parseResolver(settings.resolver) === null) {
      return {
        field: 'resolver',
        problem: 'must be an IP address with an optional port, like "192.0.2.1:5353" or "[2001:db8::1]:53"',
      };
    }
    return settings;
  },
  target: (settings) => `${settings.hostname} ${settings.recordType}`,
  async probe(settings, options) {
    const startedAt = Date.now();
    const began = performance.now();
    const server = settings.resolver === null ? null : parseResolver(settings.resolver);
    const serverText = settings.resolver ?? 'the system resolver';
    const finish = (failure: Failure | null, answers: string[] | null): CheckOutcome => {
      const elapsed = Math.round(performance.now() - began);
      return {
        status: failure ? 'Down' : 'Up',
        reason: failure?.reason ?? null,
        message: failure?.message ?? null,
        statusCode: null,
        responseTimeMs: elapsed,
        timings: {
          dnsMs: answers === null && failure?.reason !== 'dns' ? null : elapsed,
          connectMs: null,
          tlsMs: null,
          firstByteMs: null,
        },
        certExpiresAt: null,
        details: answers === null ? null : { answers },
        startedAt,
      };
    };
    if (server && !options.allowPrivateTargets) {
      const refusal = refusalFor(server.host);
      if (refusal) return finish({ reason: 'connect', message: refusal.message }, null);
    }
    const resolver = new dns.Resolver({ timeout: Math.max(1, options.timeoutMs), tries: 1 });
    if (server)
      resolver.setServers([
        server.host.includes(':') ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`,
      ]);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })),
        options.timeoutMs,
      );
    });
    try {
      const answer: unknown = await Promise.race([
        resolver.resolve(settings.hostname, settings.recordType),
        deadline,
      ]);
      const answers = answerTexts(settings.recordType, answer);
      const have = new Set(answers.map(normal));
      const present = settings.expected.filter((value) => have.has(normal(value)));
      if (settings.expected.length > 0) {
        const holds =
          settings.match === 'all' ? present.length === settings.expected.length : present.length > 0;
        if (!holds) {
          const missing = settings.expected.filter((value) => !have.has(normal(value)));
          return finish(
            {
              reason: 'assertion',
              message: tidyMessage(
                `${settings.recordType} answers ${JSON.stringify(answers)} lack ${settings.match === 'all' ? 'expected' : 'every expected'} value ${JSON.stringify(missing)}`,
              ),
            },
            answers,
          );
        }
      }
      return finish(null, answers);
    } catch (error) {
      return finish(
        failureOf(error as NodeJS.ErrnoException, settings.hostname, settings.recordType, serverText),
        null,
      );
    } finally {
      clearTimeout(timer);
      resolver.cancel();
    }
  },
});
