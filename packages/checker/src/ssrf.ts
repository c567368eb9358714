/**
 * Server-side request forgery guard. The address is judged where the connection is made: inside the
 * `lookup` handed to http.request (so a DNS answer that changes between two resolutions cannot slip
 * through), directly for IP-literal hosts (which skip lookup), and once more on the connected socket.
 */
import { promises as dns } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { classifyAddress, describeCategory } from './address-ranges.js';
import type { HostResolver } from './types.js';

/** The operating system's resolver (getaddrinfo, so /etc/hosts applies). */
export const systemResolver: HostResolver = (hostname) => dns.lookup(hostname, { all: true });

/** A target refused by the guard; the check reports it as reason `connect`. */
export class RefusedTargetError extends Error {
  readonly code = 'ERR_TARGET_REFUSED';
}

/** The refusal for connecting to `address`, or null when it is an ordinary public address. */
export function refusalFor(address: string): RefusedTargetError | null {
  const category = classifyAddress(address);
  if (category === null) return null;
  return new RefusedTargetError(
    `refused: ${address} is ${describeCategory(category)} (set ALLOW_PRIVATE_TARGETS=true to allow)`,
  );
}

function noAddressError(hostname: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`no usable address for ${hostname}`);
  error.code = 'ENOTFOUND';
  return error;
}

export interface GuardedLookupOptions {
  resolveHost: HostResolver;
  allowPrivateTargets: boolean;
  /** Called once with the resolution time in milliseconds; `answered` is false when resolution failed. */
  onResolved(elapsedMs: number, answered: boolean): void;
}

/**
 * A `lookup` for http.request that times the resolution and refuses the whole host when any of its
 * addresses is special-purpose: with several addresses the socket may try each (happy eyeballs), and a
 * public name has no business resolving to an internal address.
 */
export function createGuardedLookup(options: GuardedLookupOptions): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    const started = performance.now();
    options.resolveHost(hostname).then(
      (resolved) => {
        options.onResolved(performance.now() - started, true);
        const wanted = lookupOptions.family;
        const addresses =
          wanted === 4 || wanted === 6 ? resolved.filter((a) => a.family === wanted) : resolved;
        const first = addresses[0];
        if (first === undefined) return callback(noAddressError(hostname), '');
        if (!options.allowPrivateTargets) {
          for (const { address } of addresses) {
            const refusal = refusalFor(address);
            if (refusal) return callback(refusal, '');
          }
        }
        if (lookupOptions.all) callback(null, [...addresses]);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => {
        options.onResolved(performance.now() - started, false);
        callback(error, '');
      },
    );
  };
}
