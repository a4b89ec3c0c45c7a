import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { EventBus } from './bus.js';
import { InProcessEventBus } from './memory-bus.js';

export type { DeliveryContext, EventBus, EventHandler } from './bus.js';
export { consumeOnce, idempotent, subscribeOnce } from './consumer.js';
export { OutboxRelay, type RelayOptions } from './relay.js';

/**
 * The bus for a runtime shape: in-process for all-in-one; Kafka for the distributed shape when
 * KAFKA_BOOTSTRAP_SERVERS is set, otherwise in-process, which is said once in the log because events
 * then only reach consumers in the same process.
 */
export async function openEventBus(
  config: Config,
  shape: 'all-in-one' | 'distributed',
  logger: Logger,
): Promise<EventBus> {
  if (shape === 'distributed' && config.kafka.bootstrapServers) {
    // Loaded only when configured: the embedded shape never pays for the Kafka client.
    const { KafkaEventBus } = await import('./kafka-bus.js');
    const bus = new KafkaEventBus({ settings: config.kafka, logger: logger.child({ component: 'events' }) });
    logger.info(`events: ${bus.description}`);
    return bus;
  }
  if (shape === 'distributed') {
    logger.warn(
      'events: KAFKA_BOOTSTRAP_SERVERS is not set, so events only reach consumers in this same process',
    );
  }
  return new InProcessEventBus();
}
