/**
 * The one spelling of an email address that accounts are keyed on: trimmed, Unicode NFC, lower case, and
 * without the trailing dot of a fully qualified domain (`alice@example.com.` is `alice@example.com`, the
 * same mailbox). Signup stores it and login looks it up, so neither form can make a second account.
 */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase().replace(/\.+$/, '');
}
