import { Type } from 'typebox';
import { ROLES } from '../../platform/auth/principal.js';
import { StringEnum } from '../../platform/http/schemas.js';
import { MAX_PASSWORD_LENGTH } from './password-policy.js';

export const Email = Type.String({ format: 'email', maxLength: 254, description: 'Email address' });
export const Password = Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH * 4 });
const Strict = { additionalProperties: false } as const;

export const User = Type.Object({
  id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  full_name: Type.String(),
  role: StringEnum(ROLES),
  email_verified: Type.Boolean(),
  mfa_enabled: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
});

export const TokenResponse = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
  user: User,
});

export const MfaChallenge = Type.Object({
  mfa_required: Type.Literal(true),
  mfa_token: Type.String({ description: 'Send with a TOTP or backup code to /api/v1/auth/login/mfa' }),
  token_type: Type.Literal('mfa'),
  expires_in: Type.Integer(),
});

export const RegisterBody = Type.Object(
  { email: Email, password: Password, full_name: Type.String({ minLength: 1, maxLength: 200 }) },
  Strict,
);
export const LoginBody = Type.Object({ email: Email, password: Password }, Strict);
export const MfaLoginBody = Type.Object(
  {
    mfa_token: Type.String({ minLength: 1, maxLength: 2000 }),
    code: Type.String({ minLength: 6, maxLength: 20 }),
  },
  Strict,
);
export const RefreshBody = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 200 }) },
  Strict,
);
export const ChangePasswordBody = Type.Object({ current_password: Password, new_password: Password }, Strict);
export const ResetRequestBody = Type.Object({ email: Email }, Strict);
export const ResetConfirmBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 200 }), new_password: Password },
  Strict,
);
export const VerifyConfirmBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 200 }) },
  Strict,
);
export const CodeBody = Type.Object({ code: Type.String({ minLength: 6, maxLength: 20 }) }, Strict);
export const PasswordAndCodeBody = Type.Object(
  { password: Password, code: Type.Optional(Type.String({ minLength: 6, maxLength: 20 })) },
  Strict,
);
export const RoleBody = Type.Object({ role: StringEnum(ROLES) }, Strict);
export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const Message = Type.Object({ message: Type.String() });
export const Session = Type.Object({
  id: Type.String(),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  last_used_at: Type.String({ format: 'date-time' }),
  expires_at: Type.String({ format: 'date-time' }),
  current: Type.Boolean(),
});
