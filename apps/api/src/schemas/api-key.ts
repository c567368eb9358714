import { Type } from '@sinclair/typebox';
import { PATTERN_MESSAGE } from '../validation.js';
import { DateTime, Nullable, Uuid } from './common.js';

export const ApiKeyScope = Type.Union([Type.Literal('read'), Type.Literal('write')], {
  description: '`read`: GET requests only; `write`: everything the user can do except managing credentials',
});

export const ApiKey = Type.Object(
  {
    id: Uuid('API key id'),
    name: Type.String(),
    scope: ApiKeyScope,
    prefix: Type.String({ description: 'The first characters of the key, to tell keys apart' }),
    createdAt: DateTime(),
    expiresAt: Nullable(DateTime('After this the key stops working; null: never')),
    lastUsedAt: Nullable(DateTime('When the key was last used (updated at most once a minute)')),
  },
  { title: 'ApiKey' },
);

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: '\\S',
      [PATTERN_MESSAGE]: 'must not be blank',
    }),
    scope: ApiKeyScope,
    expiresAt: Type.Optional(
      Nullable(
        DateTime('When the key stops working (in the future, at most 10 years ahead); null or absent: never'),
      ),
    ),
  },
  { additionalProperties: false },
);

export const CreatedApiKey = Type.Object(
  {
    apiKey: ApiKey,
    key: Type.String({
      description: 'The secret, shown this once: use it as `Authorization: Bearer bu_...`',
    }),
  },
  { title: 'CreatedApiKey' },
);

export const ApiKeyList = Type.Object({ apiKeys: Type.Array(ApiKey) });

export const ApiKeyParams = Type.Object({ id: Uuid('API key id') });
