import { LRUCache } from 'lru-cache';
import type { Db } from '../../platform/db/db.js';
import { badRequest } from '../../platform/http/errors.js';
import { ageOn, completion } from './completion.js';
import {
  HEIGHT_RANGE_CM,
  WEIGHT_RANGE_KG,
  fromCentimetres,
  fromKilograms,
  round,
  toCentimetres,
  toKilograms,
  type LengthUnit,
  type MassUnit,
} from './units.js';

export type UnitSystem = 'metric' | 'imperial';
export type Sex = 'female' | 'male' | 'intersex' | 'unknown';

export interface Preferences {
  unit_system: UnitSystem;
  timezone: string;
  locale: string;
  notifications: { email: boolean; push: boolean; insights: boolean; reminders: boolean };
}

export interface Privacy {
  share_with_care_team: boolean;
  allow_research_use: boolean;
  show_full_name_to_doctors: boolean;
}

export const DEFAULT_PREFERENCES: Preferences = {
  unit_system: 'metric',
  timezone: 'UTC',
  locale: 'en-US',
  notifications: { email: true, push: false, insights: true, reminders: false },
};

// Private by default: nothing is shared until the person says so.
export const DEFAULT_PRIVACY: Privacy = {
  share_with_care_team: false,
  allow_research_use: false,
  show_full_name_to_doctors: true,
};

interface ProfileRow {
  user_id: string;
  email: string;
  full_name: string;
  date_of_birth: string | null;
  sex: Sex | null;
  height_cm: string | null;
  height_unit: LengthUnit | null;
  weight_kg: string | null;
  weight_unit: MassUnit | null;
  preferences: Partial<Preferences>;
  privacy: Partial<Privacy>;
  created_at: Date;
  updated_at: Date;
}

export interface Measurement<U> {
  value: number;
  unit: U;
}

export interface ProfileUpdate {
  full_name?: string;
  date_of_birth?: string | null;
  sex?: Sex | null;
  height?: Measurement<LengthUnit> | null;
  weight?: Measurement<MassUnit> | null;
  preferences?: Partial<Omit<Preferences, 'notifications'>> & {
    notifications?: Partial<Preferences['notifications']>;
  };
  privacy?: Partial<Privacy>;
}

const COLUMNS = `user_id, email, full_name, date_of_birth::text AS date_of_birth, sex, height_cm, height_unit,
  weight_kg, weight_unit, preferences, privacy, created_at, updated_at`;

function isTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function canonicalLocale(locale: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(locale)[0];
  } catch {
    return undefined;
  }
}

/** Profiles: one per user, created on first read from the account's name and email. */
export class Profiles {
  /**
   * The embedded database belongs to this one process (its directory is locked), so every change to
   * a profile passes through here and a read cache cannot go stale. Not used with a shared server.
   */
  private readonly cache?: LRUCache<string, ProfileRow>;

  constructor(private readonly db: Db) {
    if (db.kind === 'pglite') this.cache = new LRUCache({ max: 1000 });
  }

  async find(userId: string): Promise<ProfileRow | undefined> {
    const cached = this.cache?.get(userId);
    if (cached) return cached;
    const { rows } = await this.db.query<ProfileRow>(
      `SELECT ${COLUMNS} FROM user_profile.profiles WHERE user_id = $1`,
      [userId],
    );
    if (rows[0]) this.cache?.set(userId, rows[0]);
    return rows[0];
  }

  async create(userId: string, email: string, fullName: string): Promise<ProfileRow> {
    await this.db.query(
      `INSERT INTO user_profile.profiles (user_id, email, full_name) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING`,
      [userId, email, fullName],
    );
    return (await this.find(userId))!;
  }

  async update(
    userId: string,
    current: ProfileRow,
    update: ProfileUpdate,
    today = new Date(),
  ): Promise<ProfileRow> {
    const next = { ...current };
    if (update.full_name !== undefined) {
      const name = update.full_name.trim();
      if (name === '') throw badRequest('full_name must not be blank', { field: 'full_name' });
      next.full_name = name;
    }
    if (update.date_of_birth !== undefined) {
      if (update.date_of_birth !== null) {
        const dob = new Date(`${update.date_of_birth}T00:00:00Z`);
        if (Number.isNaN(dob.getTime()) || dob.toISOString().slice(0, 10) !== update.date_of_birth) {
          throw badRequest('date_of_birth must be a real date (YYYY-MM-DD)', { field: 'date_of_birth' });
        }
        if (dob > today)
          throw badRequest('date_of_birth cannot be in the future', { field: 'date_of_birth' });
        if (ageOn(update.date_of_birth, today) > 130) {
          throw badRequest('date_of_birth is more than 130 years ago', { field: 'date_of_birth' });
        }
      }
      next.date_of_birth = update.date_of_birth;
    }
    if (update.sex !== undefined) next.sex = update.sex;
    if (update.height !== undefined) {
      if (update.height === null) {
        next.height_cm = null;
        next.height_unit = null;
      } else {
        const cm = toCentimetres(update.height.value, update.height.unit);
        if (cm < HEIGHT_RANGE_CM.min || cm > HEIGHT_RANGE_CM.max) {
          throw badRequest(
            `height must be between ${HEIGHT_RANGE_CM.min} and ${HEIGHT_RANGE_CM.max} cm (got ${round(cm, 1)} cm)`,
            { field: 'height', range_cm: HEIGHT_RANGE_CM },
          );
        }
        next.height_cm = String(round(cm, 2));
        next.height_unit = update.height.unit;
      }
    }
    if (update.weight !== undefined) {
      if (update.weight === null) {
        next.weight_kg = null;
        next.weight_unit = null;
      } else {
        const kg = toKilograms(update.weight.value, update.weight.unit);
        if (kg < WEIGHT_RANGE_KG.min || kg > WEIGHT_RANGE_KG.max) {
          throw badRequest(
            `weight must be between ${WEIGHT_RANGE_KG.min} and ${WEIGHT_RANGE_KG.max} kg (got ${round(kg, 1)} kg)`,
            { field: 'weight', range_kg: WEIGHT_RANGE_KG },
          );
        }
        next.weight_kg = String(round(kg, 3));
        next.weight_unit = update.weight.unit;
      }
    }
    if (update.preferences) {
      const p = update.preferences;
      if (p.timezone !== undefined && !isTimezone(p.timezone)) {
        throw badRequest(`timezone "${p.timezone}" is not an IANA time zone such as Europe/Paris`, {
          field: 'preferences.timezone',
        });
      }
      let locale = p.locale;
      if (locale !== undefined) {
        locale = canonicalLocale(locale);
        if (!locale)
          throw badRequest('locale must be a BCP 47 tag such as en-GB', { field: 'preferences.locale' });
      }
      const merged = { ...DEFAULT_PREFERENCES, ...current.preferences };
      next.preferences = {
        ...merged,
        ...(p.unit_system === undefined ? {} : { unit_system: p.unit_system }),
        ...(p.timezone === undefined ? {} : { timezone: p.timezone }),
        ...(locale === undefined ? {} : { locale }),
        notifications: { ...merged.notifications, ...p.notifications },
      };
    }
    if (update.privacy) next.privacy = { ...DEFAULT_PRIVACY, ...current.privacy, ...update.privacy };

    const { rows } = await this.db.query<ProfileRow>(
      `UPDATE user_profile.profiles SET full_name = $2, date_of_birth = $3, sex = $4, height_cm = $5, height_unit = $6,
         weight_kg = $7, weight_unit = $8, preferences = $9, privacy = $10, updated_at = now()
       WHERE user_id = $1 RETURNING ${COLUMNS}`,
      [
        userId,
        next.full_name,
        next.date_of_birth,
        next.sex,
        next.height_cm,
        next.height_unit,
        next.weight_kg,
        next.weight_unit,
        JSON.stringify(next.preferences),
        JSON.stringify(next.privacy),
      ],
    );
    this.cache?.set(userId, rows[0]!);
    return rows[0]!;
  }

  async erase(userId: string): Promise<void> {
    await this.db.query('DELETE FROM user_profile.profiles WHERE user_id = $1', [userId]);
    this.cache?.delete(userId);
  }
}

/** The API view: canonical values plus the values in the unit the person uses. */
export function presentProfile(row: ProfileRow, today = new Date()) {
  const preferences: Preferences = {
    ...DEFAULT_PREFERENCES,
    ...row.preferences,
    notifications: { ...DEFAULT_PREFERENCES.notifications, ...row.preferences.notifications },
  };
  const heightCm = row.height_cm === null ? null : Number(row.height_cm);
  const weightKg = row.weight_kg === null ? null : Number(row.weight_kg);
  const imperial = preferences.unit_system === 'imperial';
  const heightUnit: LengthUnit = row.height_unit ?? (imperial ? 'in' : 'cm');
  const weightUnit: MassUnit = row.weight_unit ?? (imperial ? 'lb' : 'kg');
  return {
    user_id: row.user_id,
    email: row.email,
    full_name: row.full_name,
    date_of_birth: row.date_of_birth,
    age: row.date_of_birth ? ageOn(row.date_of_birth, today) : null,
    sex: row.sex,
    height:
      heightCm === null
        ? null
        : { value: round(fromCentimetres(heightCm, heightUnit), 2), unit: heightUnit, value_cm: heightCm },
    weight:
      weightKg === null
        ? null
        : { value: round(fromKilograms(weightKg, weightUnit), 2), unit: weightUnit, value_kg: weightKg },
    preferences,
    privacy: { ...DEFAULT_PRIVACY, ...row.privacy },
    completion: completion({
      full_name: row.full_name.trim() !== '',
      date_of_birth: row.date_of_birth !== null,
      sex: row.sex !== null,
      height: heightCm !== null,
      weight: weightKg !== null,
      timezone: row.preferences.timezone !== undefined,
    }),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
