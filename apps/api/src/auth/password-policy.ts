import { invalid } from '../errors.js';

/**
 * Password rules after NIST SP 800-63B (5.1.1.2): at least MIN_PASSWORD_LENGTH characters, no composition
 * rules, and refused when it is one of the most common passwords or contains the account's email address
 * (or the part before the @). Checked at signup and password change; login accepts any old password.
 */
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;
/** How many of the most common passwords are refused. */
export const COMMON_PASSWORDS_REFUSED = 10_000;

let common: Promise<Set<string>> | undefined;

/**
 * The most common passwords, most common first, from zxcvbn-ts's list (itself from leaked-password
 * frequency counts), lower-cased. Loaded on first use (about 80 ms, 1 MB).
 */
export function commonPasswords(): Promise<Set<string>> {
  common ??= import('@zxcvbn-ts/language-common').then(({ dictionary }) => {
    const ranked = dictionary['passwords-common'] as unknown as string[];
    return new Set(ranked.slice(0, COMMON_PASSWORDS_REFUSED).map((p) => p.toLowerCase()));
  });
  return common;
}

/** Throws a 400 naming `field` when the password breaks a rule; `email` is already normalised. */
export async function checkPasswordPolicy(password: string, email: string, field: string): Promise<void> {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw invalid(field, `must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const lower = password.toLowerCase();
  if ((await commonPasswords()).has(lower)) {
    throw invalid(field, 'is one of the most common passwords: choose one that is harder to guess');
  }
  const local = email.slice(0, email.lastIndexOf('@'));
  if (lower.includes(email) || (local.length >= 3 && lower.includes(local))) {
    throw invalid(field, 'must not contain the email address');
  }
}
