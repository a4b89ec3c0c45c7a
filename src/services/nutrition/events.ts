import type { Queryable } from '../../platform/db/db.js';
import { appendEvent } from '../../platform/events/outbox.js';

/**
 * Appends a CloudEvent to the seed's `health-events` topic in the caller's transaction, so that consumers
 * (AI insights: meals and glucose) hear of meals. Data: ids, meal types and times; never descriptions.
 */
export function emitNutritionEvent(
  tx: Queryable,
  userId: string,
  type: 'meal.logged' | 'meal.corrected' | 'meal.deleted' | 'water.logged' | 'water.deleted',
  data: Record<string, unknown>,
) {
  return appendEvent(tx, 'nutrition', {
    topic: 'health-events',
    type: `org.pha.nutrition.${type}`,
    subject: userId,
    data,
  });
}
