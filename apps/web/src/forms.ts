import { ApiError } from './api.js';

/** The message of a failed request, for one form: the API's own words. */
export const messageOf = (error: unknown): string =>
  error instanceof ApiError ? error.message : (error as Error).message;

/** An input's onInput handler that sets its value into a state. */
export const value = (set: (v: string) => void) => (e: Event) =>
  set((e.currentTarget as HTMLInputElement).value);
