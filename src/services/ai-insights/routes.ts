import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { principalOf } from '../../platform/auth/guard.js';
import { errorResponses } from '../../platform/http/schemas.js';
import { notFound } from '../../platform/http/errors.js';
import type { ServiceContext } from '../../platform/service.js';
import { isStale, type InsightsEngine } from './engine.js';
import type { Caller } from './gather.js';
import * as S from './schemas.js';
import type { InsightRow, InsightStore } from './store.js';

/** The refresh answers the list as GET does: with dismissed insights when asked. */
const RefreshQuery = Type.Object(
  { include_dismissed: S.ListQuery.properties.include_dismissed },
  { additionalProperties: false },
);

export const DISCLAIMER =
  'These insights describe your own data against published guidelines and statistics. They are not a ' +
  'diagnosis or medical advice; discuss anything that concerns you with your clinician.';

export function presentInsight(row: InsightRow) {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    explanation: row.explanation,
    severity: row.severity,
    status: row.status,
    metric_types: row.metric_types,
    evidence: row.evidence,
    rule: row.rule,
    dismissed_at: row.dismissed_at ? row.dismissed_at.toISOString() : null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function registerInsightRoutes(
  root: FastifyInstance,
  ctx: ServiceContext,
  store: InsightStore,
  engine: InsightsEngine,
): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['insights'];
  const callerOf = (request: FastifyRequest): Caller => ctx.clients.onBehalfOf(request);

  async function answer(
    request: FastifyRequest,
    filters: { includeDismissed: boolean; kinds?: string[]; severities?: string[] },
  ) {
    const userId = principalOf(request).userId;
    await engine.updateNarrative(userId);
    const { insights, state } = await engine.snapshot(userId, filters.includeDismissed);
    return {
      insights: insights
        .filter((i) => !filters.kinds || filters.kinds.includes(i.kind))
        .filter((i) => !filters.severities || filters.severities.includes(i.severity))
        .map(presentInsight),
      narrative: state.narrative,
      generated_at: state.computed_at.toISOString(),
      stale: isStale(state),
      sources: state.sources,
      disclaimer: DISCLAIMER,
    };
  }

  app.get(
    '/api/v1/insights',
    {
      schema: {
        tags,
        summary: 'My insights, computed from my own data',
        description:
          'Out-of-range vitals (health tracking classes), trends (Theil-Sen, Mann-Kendall), unusual days ' +
          '(modified z-score against my baseline), correlations (sleep and resting heart rate; meals and ' +
          'glucose), lab results out of range, and CGM metrics (International Consensus on Time in Range). ' +
          'Recomputed when new data arrived (events) or after 15 minutes; a service that cannot be read is ' +
          'named in `sources` and the rest is still answered.',
        querystring: S.ListQuery,
        response: { 200: S.InsightList, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const userId = principalOf(request).userId;
      await engine.ensureFresh(userId, callerOf(request));
      const q = request.query;
      return answer(request, {
        includeDismissed: q.include_dismissed ?? false,
        kinds: q.kind?.split(','),
        severities: q.severity?.split(','),
      });
    },
  );

  app.post(
    '/api/v1/insights/refresh',
    {
      schema: {
        tags,
        summary: 'Recompute my insights now',
        description: 'Answers the recomputed list, as GET /api/v1/insights does (dismissed ones when asked).',
        querystring: RefreshQuery,
        response: { 200: S.InsightList, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      await engine.refresh(principalOf(request).userId, callerOf(request));
      return answer(request, { includeDismissed: request.query.include_dismissed ?? false });
    },
  );

  for (const [action, status] of [
    ['dismiss', 'dismissed'],
    ['restore', 'active'],
  ] as const) {
    app.post(
      `/api/v1/insights/:id/${action}`,
      {
        schema: {
          tags,
          summary:
            action === 'dismiss'
              ? 'Dismiss one of my insights (it stays dismissed when recomputed)'
              : 'Restore a dismissed insight',
          params: S.IdParams,
          response: { 200: S.Insight, ...errorResponses(400, 401, 404) },
        },
      },
      async (request) => {
        const row = await store.setStatus(principalOf(request).userId, request.params.id, status);
        if (!row) throw notFound('No such insight');
        return presentInsight(row);
      },
    );
  }
}
