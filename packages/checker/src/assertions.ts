/**
 * Judgements of a whole response body: a regular expression, and JSON values at paths such as
 * `$.status` or `$.items[0].name`.
 */
import vm from 'node:vm';
import type { BodyVerdict } from './body.js';

/** How long one regular expression may run against a body before the check gives up on it. */
export const REGEX_TIME_LIMIT_MS = 100;

/**
 * Why a pattern is refused, or null. Beyond being valid, a pattern must not be able to backtrack
 * catastrophically: no quantified group that itself holds a quantifier or an alternation (`(a+)+`,
 * `(a|aa)*`), and no backreferences. A pattern that passes still runs under a time limit.
 */
export function regexProblem(pattern: string): string | null {
  try {
    new RegExp(pattern);
  } catch (error) {
    return `must be a valid regular expression (${(error as Error).message.replace(/^Invalid regular expression: /, '')})`;
  }
  if (/\\[1-9]|\\k</.test(pattern)) return 'must not use backreferences';
  // One frame per open group: whether it holds a quantifier or an alternation.
  const groups: Array<{ risky: boolean }> = [{ risky: false }];
  let lastGroupRisky = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    let atomIsRiskyGroup = false;
    if (char === '\\') {
      i++;
    } else if (char === '[') {
      // A character class: skip to its end, escapes included.
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
    } else if (char === '(') {
      groups.push({ risky: false });
      continue;
    } else if (char === ')') {
      const closed = groups.pop() ?? { risky: false };
      atomIsRiskyGroup = closed.risky;
      lastGroupRisky = closed.risky;
      if (closed.risky) groups[groups.length - 1]!.risky = true;
    } else if (char === '|') {
      groups[groups.length - 1]!.risky = true;
      continue;
    }
    const next = pattern[i + 1];
    const quantified =
      next === '*' || next === '+' || (next === '{' && /^\{\d+,\d*\}/.test(pattern.slice(i + 1)));
    if (quantified) {
      if (atomIsRiskyGroup || (char === ')' && lastGroupRisky)) {
        return 'could backtrack catastrophically (a repeated group that itself repeats or alternates): rewrite it';
      }
      groups[groups.length - 1]!.risky = true;
    }
  }
  return null;
}

/** One context for every run: making a context costs far more than running in one. */
const regexContext = vm.createContext({ pattern: null as RegExp | null, text: '' });
const regexRun = new vm.Script('pattern.test(text)');

/** Whether the body matches; a run longer than REGEX_TIME_LIMIT_MS is a failure, not a hang. */
export function judgeRegex(pattern: string, body: string): BodyVerdict | null {
  let matched: boolean;
  try {
    regexContext.pattern = new RegExp(pattern);
    regexContext.text = body;
    matched = regexRun.runInContext(regexContext, { timeout: REGEX_TIME_LIMIT_MS }) === true;
  } catch {
    return {
      reason: 'assertion',
      message: `regular expression ${quote(pattern)} did not finish within ${REGEX_TIME_LIMIT_MS} ms`,
    };
  } finally {
    regexContext.pattern = null;
    regexContext.text = '';
  }
  return matched ? null : { reason: 'assertion', message: `body does not match ${quote(pattern)}` };
}

export const ASSERTION_OPS = ['equals', 'notEquals', 'contains', 'lessThan', 'greaterThan'] as const;
export type AssertionOp = (typeof ASSERTION_OPS)[number];
export type JsonScalar = string | number | boolean | null;
export interface JsonAssertion {
  path: string;
  op: AssertionOp;
  value: JsonScalar;
}

/** `$`, then `.name`, `['name']`, `["name"]` or `[0]` steps; null when the path does not parse. */
export function parseJsonPath(path: string): Array<string | number> | null {
  if (!path.startsWith('$')) return null;
  const steps: Array<string | number> = [];
  const step = /^(?:\.([A-Za-z_$][\w$]*)|\[(\d{1,9})\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\])/;
  let rest = path.slice(1);
  while (rest.length > 0) {
    const match = step.exec(rest);
    if (!match) return null;
    const [whole, name, index, single, double] = match;
    if (name !== undefined) steps.push(name);
    else if (index !== undefined) steps.push(Number(index));
    else steps.push((single ?? double)!.replace(/\\(.)/g, '$1'));
    rest = rest.slice(whole.length);
  }
  return steps;
}

function valueAt(
  document: unknown,
  steps: ReadonlyArray<string | number>,
): { found: boolean; value?: unknown } {
  let current = document;
  for (const key of steps) {
    if (typeof key === 'number' ? !Array.isArray(current) : typeof current !== 'object' || current === null)
      return { found: false };
    if (!Object.prototype.hasOwnProperty.call(current, key)) return { found: false };
    current = (current as Record<string | number, unknown>)[key];
  }
  return { found: true, value: current };
}

function holds(actual: unknown, op: AssertionOp, expected: JsonScalar): boolean {
  switch (op) {
    case 'equals':
      return actual === expected;
    case 'notEquals':
      return actual !== expected;
    case 'contains':
      if (typeof actual === 'string') return actual.includes(String(expected));
      return Array.isArray(actual) && actual.some((item) => item === expected);
    case 'lessThan':
      return typeof actual === 'number' && typeof expected === 'number' && actual < expected;
    case 'greaterThan':
      return typeof actual === 'number' && typeof expected === 'number' && actual > expected;
  }
}

/** The first assertion that does not hold on the JSON body, or null when they all hold. */
export function judgeJson(assertions: readonly JsonAssertion[], body: string): BodyVerdict | null {
  if (assertions.length === 0) return null;
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return { reason: 'assertion', message: 'body is not JSON, so its values cannot be checked' };
  }
  for (const assertion of assertions) {
    const steps = parseJsonPath(assertion.path);
    const at = steps ? valueAt(document, steps) : { found: false };
    if (!at.found) return { reason: 'assertion', message: `${assertion.path} is not in the body` };
    if (!holds(at.value, assertion.op, assertion.value)) {
      return {
        reason: 'assertion',
        message: `${assertion.path} is ${quote(JSON.stringify(at.value) ?? 'undefined')}, expected ${assertion.op} ${quote(JSON.stringify(assertion.value))}`,
      };
    }
  }
  return null;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}
