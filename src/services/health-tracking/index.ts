import { fileURLToPath } from 'node:url';
import type { ServiceModule } from '../../platform/service.js';
import { registerGoalRoutes, registerSymptomRoutes, presentGoal } from './journal-routes.js';
import { JournalStore, presentSymptom } from './journal.js';
import { emit, registerMetricRoutes } from './routes.js';
import { BATCH_BODY_LIMIT } from './schemas.js';
import { HealthStore } from './store.js';

export const healthTrackingService: ServiceModule = {
  slug: 'health-tracking',
  version: '1.0.0',
  description:
    'Vitals and other readings with UCUM units and plausible ranges, device series at scale, summaries, ' +
    'guideline classes (ACC/AHA blood pressure, WHO BMI, ADA glucose), symptom journal and goals.',
  migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
  largeBodyRoutes: [{ method: 'POST', path: '/api/v1/metrics/batch', limitBytes: BATCH_BODY_LIMIT }],
  async register(app, ctx) {
    const store = new HealthStore(ctx.db);
    const journal = new JournalStore(ctx.db);
    registerMetricRoutes(app, store);
    registerSymptomRoutes(app, store, journal);
    registerGoalRoutes(app, store, journal);
    return {
      async export(userId) {
        const metrics = await store.exportMetrics(userId);
        const { symptoms, goals } = await journal.exportAll(userId);
        const latest = new Map((await store.latest(userId)).map((m) => [m.metric_type, m]));
        return {
          metrics: metrics.entries,
          series: metrics.series,
          symptoms: symptoms.map(presentSymptom),
          goals: goals.map((g) => presentGoal(g, latest.get(g.metric_type))),
        };
      },
      async erase(userId) {
        await store.forUser(userId, async (tx) => {
          await store.eraseAll(tx, userId);
          await emit(tx, userId, 'account.erased', {});
        });
      },
    };
  },
};
