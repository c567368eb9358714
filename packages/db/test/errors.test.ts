import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, isRowDataError } from '../src/errors.js';

describe('isDatabaseUnavailable', () => {
  it('is true for a database that is away: refused or broken sockets, shutdowns, connection exceptions', () => {
    const wrapped = (cause: unknown) => Object.assign(new Error('Failed query'), { cause });
    for (const error of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
      Object.assign(new Error('connection failure'), { code: '08006' }),
      wrapped(Object.assign(new Error('too many clients'), { code: '53300' })),
    ]) {
      expect(isDatabaseUnavailable(error), error.message).toBe(true);
    }
  });

  it('is false for a statement that failed on its own: bad data, constraint, syntax, anything else', () => {
    const unique = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect(isDatabaseUnavailable(unique)).toBe(false);
    expect(isRowDataError(unique)).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('syntax'), { code: '42601' }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('something else'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});
