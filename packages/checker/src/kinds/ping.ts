/**
 * The ping kind: ICMP echo through the system's `ping` command (iputils), which holds the privilege raw
 * sockets need. Up when no more than `maxLossPercent` of `packets` are lost; loss and round trips recorded.
 * Where `ping` is missing the check is Down with reason `unavailable`, saying so.
 */
import { execFile } from 'node:child_process';
import { isIP } from 'node:net';
import { Type } from '@sinclair/typebox';
import { tidyMessage, type Failure } from '../errors.js';
import { refusalFor, systemResolver } from '../ssrf.js';
import type { CheckOutcome } from '../types.js';
import { refineHost } from '../url.js';
import { defineKind } from './kind.js';
import { Host } from './schema.js';

/** Seconds between echo requests: the shortest interval iputils allows without privilege. */
const PACKET_INTERVAL_S = 0.2;

/** A type, not an interface, so that it is a plain record of details. */
export type PingSummary = {
  transmitted: number;
  received: number;
  lossPercent: number;
  rttMs: { min: number; avg: number; max: number } | null;
};

/** Reads iputils' (and BusyBox's) summary lines; null when they are not there. */
export function parsePingOutput(output: string): PingSummary | null {
  const counts = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(output);
  if (!counts) return null;
  const transmitted = Number(counts[1]);
  const received = Number(counts[2]);
  const rtt = /= ([\d.]+)\/([\d.]+)\/([\d.]+)/.exec(output);
  return {
    transmitted,
    received,
    lossPercent: transmitted === 0 ? 100 : Math.round(((transmitted - received) / transmitted) * 1000) / 10,
    rttMs: rtt ? { min: Number(rtt[1]), avg: Number(rtt[2]), max: Number(rtt[3]) } : null,
  };
}

export const pingKind = defineKind({
  name: 'ping',
  settings: Type.Object({
    host: Host,
    packets: Type.Integer({ minimum: 1, maximum: 10, default: 3, description: 'Echo requests per check' }),
    maxLossPercent: Type.Integer({
      minimum: 0,
      maximum: 99,
      default: 0,
      description: 'Down when more of the packets than this are lost',
    }),
  }),
  secrets: () => [],
  refine: refineHost,
  target: (settings) => settings.host,
  async probe(settings, options) {
    const startedAt = Date.now();
    const began = performance.now();
    const finish = (
      failure: Failure | null,
      summary: PingSummary | null,
      dnsMs: number | null,
    ): CheckOutcome => ({
      status: failure ? 'Down' : 'Up',
      reason: failure?.reason ?? null,
      message: failure ? tidyMessage(failure.message) : null,
      statusCode: null,
      responseTimeMs: summary?.rttMs ? Math.round(summary.rttMs.avg) : Math.round(performance.now() - began),
      timings: { dnsMs, connectMs: null, tlsMs: null, firstByteMs: null },
      certExpiresAt: null,
      details: summary,
      startedAt,
    });
    // The address is resolved and judged here, so `ping` is only ever given an address the guard allowed.
    let address = settings.host;
    let dnsMs: number | null = null;
    if (isIP(address) === 0) {
      try {
        const [first] = await (options.resolveHost ?? systemResolver)(settings.host);
        dnsMs = Math.round(performance.now() - began);
        if (!first)
          return finish({ reason: 'dns', message: `DNS: ${settings.host} has no address` }, null, dnsMs);
        address = first.address;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        return finish(
          { reason: 'dns', message: `DNS lookup for ${settings.host} failed (${code})` },
          null,
          null,
        );
      }
    }
    const refusal = options.allowPrivateTargets ? null : refusalFor(address);
    if (refusal) return finish({ reason: 'connect', message: refusal.message }, null, dnsMs);
    const waitS = Math.max(1, Math.floor(options.timeoutMs / 1000 - settings.packets * PACKET_INTERVAL_S));
    const args = ['-n', '-c', String(settings.packets), '-i', String(PACKET_INTERVAL_S), '-W', String(waitS)];
    if (isIP(address) === 6) args.unshift('-6');
    const run = await new Promise<{ output: string; missing: boolean; timedOut: boolean }>((resolve) => {
      execFile(
        options.pingCommand ?? 'ping',
        [...args, address],
        { timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 },
        (error, stdout, stderr) => {
          const code = (error as NodeJS.ErrnoException | null)?.code;
          resolve({
            output: `${stdout}\n${stderr}`,
            missing: code === 'ENOENT' || code === 'EACCES',
            timedOut: (error as { killed?: boolean } | null)?.killed === true,
          });
        },
      );
    });
    if (run.missing) {
      return finish(
        {
          reason: 'unavailable',
          message: 'the ping command is not installed on this worker (install iputils-ping)',
        },
        null,
        dnsMs,
      );
    }
    const summary = parsePingOutput(run.output);
    if (!summary) {
      return finish(
        run.timedOut
          ? { reason: 'timeout', message: `ping did not finish within ${options.timeoutMs} ms` }
          : {
              reason: 'unavailable',
              message: `ping failed: ${run.output.trim().split('\n')[0] ?? 'no output'}`,
            },
        null,
        dnsMs,
      );
    }
    if (summary.lossPercent > settings.maxLossPercent) {
      return finish(
        {
          reason: summary.received === 0 ? 'timeout' : 'packet_loss',
          message: `${summary.lossPercent}% of ${summary.transmitted} packets lost (at most ${settings.maxLossPercent}% allowed)`,
        },
        summary,
        dnsMs,
      );
    }
    return finish(null, summary, dnsMs);
  },
});
