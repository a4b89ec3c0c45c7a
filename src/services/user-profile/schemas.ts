import { Type } from 'typebox';
import { StringEnum } from '../../platform/http/schemas.js';
import { LENGTH_UNITS, MASS_UNITS } from './units.js';

const Strict = { additionalProperties: false } as const;
const literals = StringEnum;
const Sex = literals(['female', 'male', 'intersex', 'unknown'] as const);
const UnitSystem = literals(['metric', 'imperial'] as const);

const Notifications = Type.Object({
  email: Type.Boolean(),
  push: Type.Boolean(),
  insights: Type.Boolean(),
  reminders: Type.Boolean(),
});
const Privacy = Type.Object({
  share_with_care_team: Type.Boolean(),
  allow_research_use: Type.Boolean(),
  show_full_name_to_doctors: Type.Boolean(),
});

export const Profile = Type.Object({
  user_id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  full_name: Type.String(),
  date_of_birth: Type.Union([Type.String({ format: 'date' }), Type.Null()]),
  age: Type.Union([Type.Integer(), Type.Null()]),
  sex: Type.Union([Sex, Type.Null()]),
  height: Type.Union([
    Type.Object({ value: Type.Number(), unit: literals(LENGTH_UNITS), value_cm: Type.Number() }),
    Type.Null(),
  ]),
  weight: Type.Union([
    Type.Object({ value: Type.Number(), unit: literals(MASS_UNITS), value_kg: Type.Number() }),
    Type.Null(),
  ]),
  preferences: Type.Object({
    unit_system: UnitSystem,
    timezone: Type.String(),
    locale: Type.String(),
    notifications: Notifications,
  }),
  privacy: Privacy,
  completion: Type.Object({
    percent: Type.Integer({ minimum: 0, maximum: 100 }),
    missing: Type.Array(Type.String()),
  }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const ProfileUpdateBody = Type.Object(
  {
    full_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    date_of_birth: Type.Optional(Type.Union([Type.String({ format: 'date' }), Type.Null()])),
    sex: Type.Optional(Type.Union([Sex, Type.Null()])),
    height: Type.Optional(
      Type.Union([
        Type.Object({ value: Type.Number({ exclusiveMinimum: 0 }), unit: literals(LENGTH_UNITS) }, Strict),
        Type.Null(),
      ]),
    ),
    weight: Type.Optional(
      Type.Union([
        Type.Object({ value: Type.Number({ exclusiveMinimum: 0 }), unit: literals(MASS_UNITS) }, Strict),
        Type.Null(),
      ]),
    ),
    preferences: Type.Optional(
      Type.Object(
        {
          unit_system: Type.Optional(UnitSystem),
          timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          locale: Type.Optional(Type.String({ minLength: 2, maxLength: 35 })),
          notifications: Type.Optional(Type.Partial(Notifications, Strict)),
        },
        Strict,
      ),
    ),
    privacy: Type.Optional(Type.Partial(Privacy, Strict)),
  },
  { ...Strict, minProperties: 1 },
);

export const DeleteAccountBody = Type.Object(
  {
    password: Type.String({ minLength: 1, maxLength: 512 }),
    code: Type.Optional(Type.String({ minLength: 6, maxLength: 20 })),
  },
  Strict,
);
