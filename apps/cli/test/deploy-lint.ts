/**
 * Just enough of Docker Compose's variable interpolation and of the Dockerfile syntax to check the deploy
 * files on a machine without Docker.
 */

/** A `${VAR:?message}` whose variable is not given: Compose refuses to start with the message. */
export class MissingVariableError extends Error {
  constructor(
    readonly variable: string,
    readonly hint: string,
  ) {
    super(`required variable ${variable} is missing a value: ${hint}`);
  }
}

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Compose interpolation of one string: ${VAR}, $VAR, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, $$. */
export function interpolateString(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(VARIABLE, (match, braced?: string, operator?: string, argument = '', bare?: string) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare)!;
    const value = vars[name];
    // With a colon the operator also applies to an empty value, as in the shell.
    const missing = operator?.startsWith(':') ? !value : value === undefined;
    if (operator?.endsWith('?') && missing) throw new MissingVariableError(name, argument);
    if (operator?.endsWith('-') && missing) return argument;
    return value ?? '';
  });
}

/** Interpolates every string in a parsed Compose document (keys are never interpolated). */
export function interpolate<T>(value: T, vars: Record<string, string | undefined>): T {
  if (typeof value === 'string') return interpolateString(value, vars) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => interpolate(item, vars)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars)])) as T;
  }
  return value;
}

/** The variables that a Compose file requires with `${VAR:?...}` or `${VAR?...}`. */
export function requiredVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)].map((m) => m[1]!))].sort();
}

/** A Compose duration such as `75s`, `1m30s` or `500ms`, in milliseconds. */
export function durationMs(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    throw new Error(`not a duration: ${text}`);
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit!]!, 0);
}

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  /** The FROM image, with `${ARG}` defaults of the global ARGs applied. */
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (comments dropped, continuation lines joined). */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue; // also inside a continued instruction, as Docker does
    const continued = /\\\s*$/.test(line);
    pending += (pending ? ' ' : '') + line.replace(/\\\s*$/, '').trim();
    if (!continued) {
      if (pending.trim()) logical.push(pending.trim());
      pending = '';
    }
  }
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [, image = '', name] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      const from = image.replace(/\$\{?(\w+)\}?/g, (_m, arg: string) => globalArgs[arg] ?? '');
      stages.push({ from, name, instructions: [] });
    } else if (stages.length === 0 && upper === 'ARG') {
      const [name = '', value = ''] = args.split('=');
      globalArgs[name] = value;
    } else {
      stages.at(-1)?.instructions.push({ keyword: upper, args });
    }
  }
  return stages;
}

/** The JSON (exec) form of ENTRYPOINT, CMD or HEALTHCHECK ... CMD; undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  const json = args.slice(args.indexOf('['));
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}
