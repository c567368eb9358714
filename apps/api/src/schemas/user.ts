import { Type } from '@sinclair/typebox';
import { PATTERN_MESSAGE } from '../validation.js';
import { DateTime, Uuid } from './common.js';

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

const Email = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern: '^[^\\s@]+@[^\\s@]+$',
  [PATTERN_MESSAGE]: 'must be an email address',
  description: 'Case-insensitive: Ann@Example.com and ann@example.com are the same account',
});

export const SignupBody = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: 8, maxLength: 256 }),
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
