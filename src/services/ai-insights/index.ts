import { fileURLToPath } from 'node:url';
import { createLanguageModel } from '../../platform/ai/ai.js';
import { subscribeOnce } from '../../platform/events/events.js';
import { TOPICS } from '../../platform/events/outbox.js';
import type { ServiceModule } from '../../platform/service.js';
import { InsightsEngine } from './engine.js';
import { presentInsight, registerInsightRoutes } from './routes.js';
import { InsightStore } from './store.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const aiInsightsService: ServiceModule = {
  slug: 'ai-insights',
  version: '1.0.0',
  description:
    'Insights from my own data without any API key: readings outside guideline ranges, trends, unusual days, ' +
    'correlations, lab results out of range and CGM metrics, each with its data, rule and citation; an ' +
    'optional short narrative by an OpenAI-compatible language model.',
  migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
  async register(app, ctx) {
    const store = new InsightStore(ctx.db);
    const logger = ctx.logger.child({ service: 'ai-insights' });
    const engine = new InsightsEngine(store, createLanguageModel(ctx.config.ai), logger);
    // New data of a user (any event about them) makes their insights stale; the next read recomputes
    // with the reader's own token, so this service never needs credentials of its own.
    for (const topic of TOPICS) {
      subscribeOnce(ctx.events, ctx.db, topic, `ai-insights.${topic}`, async (tx, event) => {
        if (event.subject && UUID.test(event.subject)) await store.markStale(tx, event.subject);
      });
    }
    registerInsightRoutes(app, ctx, store, engine);
    return {
      async export(userId) {
        const { insights, state } = await store.exportAll(userId);
        return {
          insights: insights.map(presentInsight),
          computed_at: state ? state.computed_at.toISOString() : null,
          narrative: state?.narrative ?? null,
        };
      },
      erase: (userId) => store.eraseAll(userId),
    };
  },
};
