import { v7 as uuidv7 } from 'uuid';
import type { Db, Queryable } from '../../platform/db/db.js';
import { appendEvent } from '../../platform/events/outbox.js';
import { SERVICE } from './health.js';
import type { DeviceInfo } from './parsers/types.js';

export const DEVICE_TYPES = [
  'cgm',
  'glucose_meter',
  'activity_tracker',
  'smartwatch',
  'ring',
  'phone',
  'smart_scale',
  'blood_pressure_monitor',
  'thermometer',
  'pulse_oximeter',
  'uploader',
  'app',
  'other',
] as const;
export const PROVIDERS = ['apple_health', 'dexcom', 'fitbit', 'nightscout', 'oura', 'other'] as const;
export type RegisteredBy = 'user' | 'import' | 'nightscout' | 'connection';

export interface DeviceRow {
  id: string;
  user_id: string;
  source: string;
  name: string;
  device_type: string;
  provider: string;
  manufacturer: string | null;
  model: string | null;
  serial_number: string | null;
  status: 'active' | 'disconnected';
  registered_by: RegisteredBy;
  readings_imported: string | number;
  first_reading_at: Date | null;
  last_reading_at: Date | null;
  last_seen_at: Date | null;
  disconnected_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const T = 'device_data.devices';

/** Appends a CloudEvent to `device-data-events` in the caller's transaction: ids and kinds, never values. */
export function emit(tx: Queryable, userId: string, type: string, data: Record<string, unknown>) {
  return appendEvent(tx, SERVICE, {
    topic: 'device-data-events',
    type: `org.pha.device.${type}`,
    subject: userId,
    data,
  });
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export interface ConnectionSummary {
  provider: string;
  status: string;
  last_sync_at: string | null;
  last_sync_status: string | null;
}

export function presentDevice(row: DeviceRow, connection?: ConnectionSummary | null) {
  return {
    id: row.id,
    name: row.name,
    device_type: row.device_type,
    provider: row.provider,
    source: row.source,
    manufacturer: row.manufacturer,
    model: row.model,
    serial_number: row.serial_number,
    status: row.status,
    registered_by: row.registered_by,
    connection: connection ?? null,
    readings_received: Number(row.readings_imported),
    first_reading_at: iso(row.first_reading_at),
    last_reading_at: iso(row.last_reading_at),
    last_seen_at: iso(row.last_seen_at),
    disconnected_at: iso(row.disconnected_at),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export interface DeviceFields {
  name: string;
  device_type: string;
  provider: string;
  manufacturer?: string | null;
  model?: string | null;
  serial_number?: string | null;
}

/** The devices and data sources of each user. Every query names the user. */
export class Devices {
  constructor(private readonly db: Db) {}

  async list(userId: string, limit: number, afterId?: string): Promise<DeviceRow[]> {
    const { rows } = await this.db.query<DeviceRow>(
      `SELECT * FROM ${T} WHERE user_id = $1 AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3`,
      [userId, afterId ?? null, limit],
    );
    return rows;
  }

  async get(userId: string, id: string, q: Queryable = this.db): Promise<DeviceRow | undefined> {
    const { rows } = await q.query<DeviceRow>(`SELECT * FROM ${T} WHERE user_id = $1 AND id = $2`, [
      userId,
      id,
    ]);
    return rows[0];
  }

  async bySource(userId: string, source: string, q: Queryable = this.db): Promise<DeviceRow | undefined> {
    const { rows } = await q.query<DeviceRow>(`SELECT * FROM ${T} WHERE user_id = $1 AND source = $2`, [
      userId,
      source,
    ]);
    return rows[0];
  }

  async create(
    tx: Queryable,
    userId: string,
    fields: DeviceFields,
    source: string | undefined,
    registeredBy: RegisteredBy,
    id = uuidv7(),
  ): Promise<DeviceRow | undefined> {
    const { rows } = await tx.query<DeviceRow>(
      `INSERT INTO ${T} (id, user_id, source, name, device_type, provider, manufacturer, model, serial_number,
         registered_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (user_id, source) DO NOTHING RETURNING *`,
      [
        id,
        userId,
        source ?? `device:${id}`,
        fields.name,
        fields.device_type,
        fields.provider,
        fields.manufacturer ?? null,
        fields.model ?? null,
        fields.serial_number ?? null,
        registeredBy,
      ],
    );
    const row = rows[0];
    if (row) {
      await emit(tx, userId, 'registered', {
        device_id: row.id,
        source: row.source,
        provider: row.provider,
        device_type: row.device_type,
        registered_by: registeredBy,
      });
    }
    return row;
  }

  /**
   * The device of a source, registering it on first sight. A device the user disconnected stays
   * disconnected unless `reactivate` (a file the user chose to import, a connection made again).
   */
  async ensure(
    userId: string,
    info: DeviceInfo,
    registeredBy: RegisteredBy,
    reactivate: boolean,
  ): Promise<DeviceRow> {
    return this.db.transaction(async (tx) => {
      const existing = await this.bySource(userId, info.source, tx);
      if (existing) {
        if (existing.status === 'disconnected' && reactivate) {
          const { rows } = await tx.query<DeviceRow>(
            `UPDATE ${T} SET status = 'active', disconnected_at = NULL, updated_at = now()
             WHERE user_id = $1 AND id = $2 RETURNING *`,
            [userId, existing.id],
          );
          await emit(tx, userId, 'reconnected', { device_id: existing.id, source: existing.source });
          return rows[0]!;
        }
        return existing;
      }
      const created = await this.create(tx, userId, info, info.source, registeredBy);
      return created ?? (await this.bySource(userId, info.source, tx))!;
    });
  }

  async update(
    tx: Queryable,
    userId: string,
    id: string,
    changes: Partial<Omit<DeviceFields, 'provider'>>,
  ): Promise<DeviceRow | undefined> {
    const sets: string[] = [];
    const params: unknown[] = [userId, id];
    for (const key of ['name', 'device_type', 'manufacturer', 'model', 'serial_number'] as const) {
      if (changes[key] !== undefined) {
        params.push(changes[key]);
        sets.push(`${key} = $${params.length}`);
      }
    }
    if (sets.length === 0) return this.get(userId, id, tx);
    const { rows } = await tx.query<DeviceRow>(
      `UPDATE ${T} SET ${sets.join(', ')}, updated_at = now() WHERE user_id = $1 AND id = $2 RETURNING *`,
      params,
    );
    return rows[0];
  }

  async setStatus(
    tx: Queryable,
    userId: string,
    id: string,
    status: 'active' | 'disconnected',
  ): Promise<DeviceRow | undefined> {
    const { rows } = await tx.query<DeviceRow>(
      `UPDATE ${T} SET status = $3, disconnected_at = CASE WHEN $3 = 'disconnected' THEN now() END,
         updated_at = now() WHERE user_id = $1 AND id = $2 RETURNING *`,
      [userId, id, status],
    );
    return rows[0];
  }

  async remove(tx: Queryable, userId: string, id: string): Promise<DeviceRow | undefined> {
    const { rows } = await tx.query<DeviceRow>(
      `DELETE FROM ${T} WHERE user_id = $1 AND id = $2 RETURNING *`,
      [userId, id],
    );
    return rows[0];
  }

  /** Records that readings from `source` reached health tracking. */
  async noteReadings(
    userId: string,
    source: string,
    count: number,
    fromMs: number,
    toMs: number,
  ): Promise<void> {
    await this.db.query(
      `UPDATE ${T} SET readings_imported = readings_imported + $3,
         first_reading_at = LEAST(first_reading_at, $4::timestamptz),
         last_reading_at = GREATEST(last_reading_at, $5::timestamptz),
         last_seen_at = now(), updated_at = now()
       WHERE user_id = $1 AND source = $2`,
      [userId, source, count, new Date(fromMs).toISOString(), new Date(toMs).toISOString()],
    );
  }

  async exportAll(userId: string): Promise<DeviceRow[]> {
    const { rows } = await this.db.query<DeviceRow>(`SELECT * FROM ${T} WHERE user_id = $1 ORDER BY id`, [
      userId,
    ]);
    return rows;
  }
}
