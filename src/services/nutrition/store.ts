import { v7 as uuidv7 } from 'uuid';
import type { Db, Queryable } from '../../platform/db/db.js';
import type { MealItem } from './meals.js';

export const MEAL_TYPES = ['breakfast', 'lunch', 'dinner', 'snack'] as const;
export type MealType = (typeof MEAL_TYPES)[number];

export interface MealRow {
  id: string;
  user_id: string;
  name: string;
  description: string;
  meal_type: MealType | null;
  eaten_at: Date;
  items: MealItem[];
  created_at: Date;
  updated_at: Date;
}

export interface WaterRow {
  id: string;
  amount_ml: string;
  logged_at: Date;
  created_at: Date;
}

const COLUMNS = 'id, user_id, name, description, meal_type, eaten_at, items, created_at, updated_at';

/** Meals and water, always read and written for one user: every query names the owner. */
export class NutritionStore {
  constructor(private readonly db: Db) {}

  /** One transaction under this user's lock: a change, its event and its Idempotency-Key commit together. */
  forUser<T>(userId: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('nutrition'), hashtext($1))`, [userId]);
      return fn(tx);
    });
  }

  async insertMeal(
    userId: string,
    meal: {
      name: string;
      description: string;
      meal_type: MealType | null;
      eaten_at: Date;
      items: MealItem[];
    },
    q: Queryable = this.db,
  ): Promise<MealRow> {
    const { rows } = await q.query<MealRow>(
      `INSERT INTO nutrition.meals (id, user_id, name, description, meal_type, eaten_at, items)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING ${COLUMNS}`,
      [
        uuidv7(),
        userId,
        meal.name,
        meal.description,
        meal.meal_type,
        meal.eaten_at,
        JSON.stringify(meal.items),
      ],
    );
    return rows[0]!;
  }

  async findMeal(userId: string, id: string): Promise<MealRow | undefined> {
    const { rows } = await this.db.query<MealRow>(
      `SELECT ${COLUMNS} FROM nutrition.meals WHERE user_id = $1 AND id = $2`,
      [userId, id],
    );
    return rows[0];
  }

  async listMeals(
    userId: string,
    opts: { from?: Date; to?: Date; limit: number; after?: { eaten_at: string; id: string } },
  ): Promise<MealRow[]> {
    const params: unknown[] = [userId];
    const where = ['user_id = $1'];
    if (opts.from) {
      params.push(opts.from);
      where.push(`eaten_at >= $${params.length}`);
    }
    if (opts.to) {
      params.push(opts.to);
      where.push(`eaten_at < $${params.length}`);
    }
    if (opts.after) {
      params.push(opts.after.eaten_at, opts.after.id);
      where.push(`(eaten_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(opts.limit);
    const { rows } = await this.db.query<MealRow>(
      `SELECT ${COLUMNS} FROM nutrition.meals WHERE ${where.join(' AND ')}
       ORDER BY eaten_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return rows;
  }

  async updateMeal(
    userId: string,
    id: string,
    meal: { name: string; meal_type: MealType | null; eaten_at: Date; items: MealItem[] },
    q: Queryable = this.db,
  ): Promise<MealRow | undefined> {
    const { rows } = await q.query<MealRow>(
      `UPDATE nutrition.meals SET name = $3, meal_type = $4, eaten_at = $5, items = $6::jsonb, updated_at = now()
       WHERE user_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [userId, id, meal.name, meal.meal_type, meal.eaten_at, JSON.stringify(meal.items)],
    );
    return rows[0];
  }

  async deleteMeal(userId: string, id: string, q: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await q.query(`DELETE FROM nutrition.meals WHERE user_id = $1 AND id = $2`, [
      userId,
      id,
    ]);
    return rowCount > 0;
  }

  async insertWater(
    userId: string,
    amountMl: number,
    loggedAt: Date,
    q: Queryable = this.db,
  ): Promise<WaterRow> {
    const { rows } = await q.query<WaterRow>(
      `INSERT INTO nutrition.water_logs (id, user_id, amount_ml, logged_at) VALUES ($1, $2, $3, $4)
       RETURNING id, amount_ml, logged_at, created_at`,
      [uuidv7(), userId, amountMl, loggedAt],
    );
    return rows[0]!;
  }

  async listWater(userId: string, from: Date, to: Date): Promise<WaterRow[]> {
    const { rows } = await this.db.query<WaterRow>(
      `SELECT id, amount_ml, logged_at, created_at FROM nutrition.water_logs
       WHERE user_id = $1 AND logged_at >= $2 AND logged_at < $3 ORDER BY logged_at`,
      [userId, from, to],
    );
    return rows;
  }

  async deleteWater(userId: string, id: string, q: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await q.query(`DELETE FROM nutrition.water_logs WHERE user_id = $1 AND id = $2`, [
      userId,
      id,
    ]);
    return rowCount > 0;
  }

  async exportAll(userId: string): Promise<{ meals: MealRow[]; water: WaterRow[] }> {
    const meals = await this.db.query<MealRow>(
      `SELECT ${COLUMNS} FROM nutrition.meals WHERE user_id = $1 ORDER BY eaten_at`,
      [userId],
    );
    const water = await this.db.query<WaterRow>(
      `SELECT id, amount_ml, logged_at, created_at FROM nutrition.water_logs WHERE user_id = $1 ORDER BY logged_at`,
      [userId],
    );
    return { meals: meals.rows, water: water.rows };
  }

  async eraseAll(userId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM nutrition.meals WHERE user_id = $1`, [userId]);
      await tx.query(`DELETE FROM nutrition.water_logs WHERE user_id = $1`, [userId]);
      await tx.query(`DELETE FROM nutrition.idempotency_keys WHERE user_id = $1`, [userId]);
    });
  }
}
