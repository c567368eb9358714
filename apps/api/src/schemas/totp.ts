import { Type } from '@sinclair/typebox';
import { PATTERN_MESSAGE } from '../validation.js';

export const TotpStatus = Type.Object({
  enabled: Type.Boolean(),
  pending: Type.Boolean({ description: 'Set up but not yet confirmed with a code' }),
  recoveryCodesLeft: Type.Integer(),
});

export const TotpSetup = Type.Object({
  secret: Type.String({ description: 'Base32 secret, for entering by hand' }),
  otpauthUrl: Type.String({ description: 'otpauth:// URI for authenticator apps (as a QR code)' }),
});

const SixDigits = Type.String({
  pattern: '^\\d{6}$',
  [PATTERN_MESSAGE]: 'must be the 6-digit code of the authenticator app',
});

export const TotpCodeBody = Type.Object({ code: SixDigits }, { additionalProperties: false });

/** A second factor: an authenticator code or a recovery code (xxxxx-xxxxx). */
export const SecondFactorCode = Type.String({
  minLength: 6,
  maxLength: 20,
  description: 'The 6-digit code of the authenticator app, or a recovery code',
});

export const TotpDisableBody = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 256 }), code: SecondFactorCode },
  { additionalProperties: false },
);

export const TotpEnabled = Type.Object({
  recoveryCodes: Type.Array(Type.String(), {
    description: 'One-use codes for when the app is lost; shown only this once',
  }),
});
