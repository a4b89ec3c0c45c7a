import { fileURLToPath } from 'node:url';
import type { ServiceModule } from '../../platform/service.js';
import { foodTable } from './foods.js';
import { presentMeal, presentWater, registerNutritionRoutes } from './routes.js';
import { NutritionStore } from './store.js';

export const nutritionService: ServiceModule = {
  slug: 'nutrition',
  version: '1.0.0',
  description:
    'Meals from plain descriptions matched to USDA SR28 foods with nutrients per item and per meal, corrections, ' +
    'food search, water, and daily totals against targets from the profile (Mifflin-St Jeor, IOM AMDR).',
  migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
  async register(app, ctx) {
    const table = foodTable();
    const store = new NutritionStore(ctx.db);
    registerNutritionRoutes(app, ctx, store, table);
    return {
      async export(userId) {
        const { meals, water } = await store.exportAll(userId);
        return { meals: meals.map((m) => presentMeal(table, m)), water: water.map(presentWater) };
      },
      erase: (userId) => store.eraseAll(userId),
    };
  },
};
