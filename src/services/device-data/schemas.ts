import { Type, type TSchema } from 'typebox';
import { StringEnum } from '../../platform/http/schemas.js';
import { DEVICE_TYPES, PROVIDERS } from './devices.js';
import { IMPORT_FORMATS } from './parsers/detect.js';

const Strict = { additionalProperties: false } as const;
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

export const CONNECTION_PROVIDERS = ['dexcom', 'oura'] as const;

export const Connection = Type.Object({
  provider: Type.String(),
  status: Type.String({ description: 'active, needs_reauthorization or disconnected' }),
  last_sync_at: Nullable(DateTime),
  last_sync_status: Nullable(Type.String()),
});

export const Device = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  device_type: Type.String(),
  provider: Type.String(),
  source: Type.String({
    description:
      'The source key its readings carry in health tracking (filter GET /health-tracking/api/v1/metrics?source=)',
  }),
  manufacturer: Nullable(Type.String()),
  model: Nullable(Type.String()),
  serial_number: Nullable(Type.String()),
  status: StringEnum(['active', 'disconnected'] as const),
  registered_by: Type.String({ description: 'user, import, nightscout or connection' }),
  connection: Nullable(Connection),
  readings_received: Type.Integer({
    description: 'Readings from this source accepted by health tracking (new or already stored)',
  }),
  first_reading_at: Nullable(DateTime),
  last_reading_at: Nullable(DateTime),
  last_seen_at: Nullable(DateTime),
  disconnected_at: Nullable(DateTime),
  created_at: DateTime,
  updated_at: DateTime,
});

export const DevicePage = Type.Object({
  items: Type.Array(Device),
  next_cursor: Nullable(Type.String()),
});

export const DeviceBody = Type.Object(
  {
    name: Text(200),
    device_type: StringEnum(DEVICE_TYPES),
    provider: Type.Optional(StringEnum(PROVIDERS, { description: 'Default "other"' })),
    manufacturer: Type.Optional(Nullable(Text(200))),
    model: Type.Optional(Nullable(Text(200))),
    serial_number: Type.Optional(Nullable(Text(100))),
  },
  Strict,
);

export const DevicePatchBody = Type.Object(
  {
    name: Type.Optional(Text(200)),
    device_type: Type.Optional(StringEnum(DEVICE_TYPES)),
    manufacturer: Type.Optional(Nullable(Text(200))),
    model: Type.Optional(Nullable(Text(200))),
    serial_number: Type.Optional(Nullable(Text(100))),
  },
  { ...Strict, minProperties: 1 },
);

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, Strict);

export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  Strict,
);

export const ImportQuery = Type.Object(
  {
    format: Type.Optional(
      StringEnum(IMPORT_FORMATS, { description: 'Default: recognised from the content' }),
    ),
    timezone: Type.Optional(
      Type.String({
        maxLength: 64,
        description: 'IANA time zone of files with local times (Dexcom Clarity, Fitbit), e.g. Europe/Paris',
      }),
    ),
    fitbit_user_id: Type.Optional(
      Type.String({
        pattern: '^[0-9A-Za-z]{1,40}$',
        description: 'Fitbit files with several people: whose rows',
      }),
    ),
    filename: Type.Optional(Type.String({ maxLength: 255 })),
    force: Type.Optional(
      Type.Boolean({ description: 'Read a file again that was imported before', default: false }),
    ),
  },
  Strict,
);

export const Import = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: StringEnum(['queued', 'processing', 'completed', 'failed'] as const),
  format: Nullable(Type.String()),
  filename: Nullable(Type.String()),
  size_bytes: Type.Integer(),
  sha256: Nullable(Type.String()),
  timezone: Nullable(Type.String()),
  progress: Type.Object({
    bytes_processed: Type.Integer(),
    bytes_total: Type.Integer(),
    percent: Type.Integer({ minimum: 0, maximum: 100 }),
  }),
  counts: Type.Object({
    records_read: Type.Integer(),
    readings_sent: Type.Integer(),
    readings_created: Type.Integer({ description: 'New readings stored in health tracking' }),
    readings_duplicate: Type.Integer({ description: 'Already stored: nothing added' }),
    records_skipped: Type.Integer({
      description: 'Records with no metric in health tracking (see skipped_by_reason)',
    }),
    records_invalid: Type.Integer({ description: 'Malformed or implausible records (see errors)' }),
    treatments_stored: Type.Integer(),
  }),
  skipped_by_reason: Type.Record(Type.String(), Type.Integer()),
  errors: Type.Array(
    Type.Object({ ref: Type.String({ description: 'Where: "line 12", "entry 3"' }), problem: Type.String() }),
  ),
  sources: Type.Array(Type.String()),
  message: Nullable(Type.String()),
  same_file_as: Nullable(Type.String({ format: 'uuid' })),
  started_at: Nullable(DateTime),
  finished_at: Nullable(DateTime),
  created_at: DateTime,
  updated_at: DateTime,
});

export const ImportPage = Type.Object({ items: Type.Array(Import), next_cursor: Nullable(Type.String()) });

// ---- Nightscout ------------------------------------------------------------------------------------

export const SecretBody = Type.Object(
  {
    secret: Type.Optional(
      Type.String({
        minLength: 12,
        maxLength: 200,
        description: 'Your own API secret (12 characters or more, as Nightscout asks); default: a random one',
      }),
    ),
  },
  Strict,
);

export const SecretAnswer = Type.Object({
  api_secret: Type.String({ description: 'Shown once: enter it in the uploader (xDrip+, Loop, AndroidAPS)' }),
  nightscout_url: Type.String({ description: 'The Nightscout URL to enter in the uploader' }),
  created_at: DateTime,
});

export const SecretStatus = Type.Object({
  configured: Type.Boolean(),
  nightscout_url: Type.String(),
  created_at: Nullable(DateTime),
  last_used_at: Nullable(DateTime),
});

export const NightscoutListQuery = Type.Object(
  {
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 10 })),
    'find[date][$gte]': Type.Optional(Type.Number()),
    'find[date][$lte]': Type.Optional(Type.Number()),
    'find[created_at][$gte]': Type.Optional(Type.String({ maxLength: 40 })),
    'find[created_at][$lte]': Type.Optional(Type.String({ maxLength: 40 })),
    token: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: true },
);

// ---- connections -----------------------------------------------------------------------------------

export const ProviderParams = Type.Object({ provider: StringEnum(CONNECTION_PROVIDERS) }, Strict);

export const AuthorizeBody = Type.Object(
  {
    return_to: Type.Optional(
      Type.String({
        maxLength: 500,
        pattern: '^/(?!/)',
        description:
          'A path of this site to send the browser back to after the provider (default: a JSON answer)',
      }),
    ),
  },
  Strict,
);

export const AuthorizeAnswer = Type.Object({
  provider: Type.String(),
  authorization_url: Type.String({ description: 'Open this in the browser: the provider asks for consent' }),
  redirect_uri: Type.String(),
  expires_at: DateTime,
});

export const CallbackQuery = Type.Object(
  {
    state: Type.Optional(Type.String({ maxLength: 200 })),
    code: Type.Optional(Type.String({ maxLength: 2000 })),
    error: Type.Optional(Type.String({ maxLength: 200 })),
    error_description: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: true },
);

export const CallbackBody = Type.Object(
  {
    state: Type.String({ minLength: 1, maxLength: 200 }),
    code: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    error: Type.Optional(Type.String({ maxLength: 200 })),
  },
  Strict,
);

export const ConnectionState = Type.Object({
  provider: Type.String(),
  name: Type.String(),
  configured: Type.Boolean({ description: 'false: the server has no client id/secret for this provider' }),
  message: Nullable(Type.String()),
  status: StringEnum(['not_connected', 'active', 'needs_reauthorization', 'disconnected'] as const),
  device_id: Nullable(Type.String({ format: 'uuid' })),
  last_sync_started_at: Nullable(DateTime),
  last_sync_finished_at: Nullable(DateTime),
  last_sync_status: Nullable(Type.String()),
  last_sync_message: Nullable(Type.String()),
  last_sync_counts: Nullable(Type.Record(Type.String(), Type.Integer())),
  cursors: Type.Record(Type.String(), Type.String(), {
    description: 'Up to when each data stream is synced',
  }),
});

export const ConnectionList = Type.Object({ items: Type.Array(ConnectionState) });
