import { Type } from '@sinclair/typebox';
import {
  COMMON_PASSWORDS_REFUSED,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
} from '../auth/password-policy.js';
import { PATTERN_MESSAGE } from '../validation.js';
import { DateTime, Nullable, Uuid } from './common.js';
import { SecondFactorCode } from './totp.js';

export const User = Type.Object(
  {
    id: Uuid('User id'),
    email: Type.String({ description: 'Stored lower-case' }),
    name: Type.String(),
    createdAt: DateTime(),
    updatedAt: DateTime(),
  },
  { title: 'User' },
);

export const Email = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern: '^[^\\s@]+@[^\\s@]+$',
  [PATTERN_MESSAGE]: 'must be an email address',
  description:
    'Case-insensitive, and a trailing dot of the domain is dropped: Ann@Example.com. and ann@example.com are the same account',
});

export const SignupStateResponse = Type.Object(
  {
    open: Type.Boolean({ description: 'POST /api/auth/signup would accept a new account' }),
    firstAccount: Type.Boolean({ description: 'There is no account yet: the first sign-up makes it' }),
  },
  { title: 'SignupState' },
);

export const SignupBody = Type.Object(
  {
    email: Email,
    password: Type.String({
      minLength: MIN_PASSWORD_LENGTH,
      maxLength: MAX_PASSWORD_LENGTH,
      description: `At least ${MIN_PASSWORD_LENGTH} characters; not one of the ${COMMON_PASSWORDS_REFUSED.toLocaleString('en')} most common passwords, and not containing the email address`,
    }),
    name: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: '\\S',
      [PATTERN_MESSAGE]: 'must not be blank',
    }),
  },
  { additionalProperties: false },
);

export const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
    code: Type.Optional(SecondFactorCode),
  },
  { additionalProperties: false },
);

export const AuthResponse = Type.Object(
  {
    user: User,
    token: Type.String({ description: 'JWT for `Authorization: Bearer`' }),
    csrfToken: Type.String({
      description:
        'Also set as the readable bu_csrf cookie; send as x-csrf-token on cookie-authenticated writes',
    }),
  },
  { title: 'AuthResult' },
);

export const MeResponse = Type.Object({ user: User });

export const ChangePasswordBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
    newPassword: Type.String({
      minLength: MIN_PASSWORD_LENGTH,
      maxLength: MAX_PASSWORD_LENGTH,
      description: 'The same rules as at sign-up',
    }),
  },
  { additionalProperties: false },
);

export const DeleteAccountBody = Type.Object(
  {
    password: Type.String({
      minLength: 1,
      maxLength: MAX_PASSWORD_LENGTH,
      description: 'The current password',
    }),
    code: Type.Optional({
      ...SecondFactorCode,
      description: 'Required when two-factor authentication is on: an authenticator or recovery code',
    }),
  },
  { additionalProperties: false },
);

export const Session = Type.Object(
  {
    id: Uuid('Session id'),
    createdAt: DateTime('When the session was opened (login or sign-up)'),
    expiresAt: DateTime(),
    userAgent: Nullable(Type.String({ description: 'The client at login, as it named itself' })),
    current: Type.Boolean({ description: 'Whether this request came with this session' }),
  },
  { title: 'Session' },
);

export const SessionList = Type.Object({ sessions: Type.Array(Session) });

export const SessionParams = Type.Object({ id: Uuid('Session id') });
