import type { Config, Logger } from '@better-uptime/config';
import type { Database } from '@better-uptime/db';
import type { TaskQueue } from '@better-uptime/redis-stream';
import { Scheduler } from '@better-uptime/scheduler';

export interface ProducerHandle {
  scheduler: Scheduler;
  stop(): Promise<void>;
}

/** The producer role: the scheduler loop publishing due slots to the queue. */
export function startProducer(options: {
  db: Database;
  queue: TaskQueue;
  config: Pick<Config, 'producerTickMs' | 'scheduleLeadMs' | 'retentionDays'>;
  logger: Logger;
}): ProducerHandle {
  const { config, logger } = options;
  const scheduler = new Scheduler({
    db: options.db,
    queue: options.queue,
    logger,
    tickMs: config.producerTickMs,
    leadMs: config.scheduleLeadMs,
    retentionDays: config.retentionDays,
  });
  scheduler.start();
  logger.info(
    { tickMs: config.producerTickMs, leadMs: config.scheduleLeadMs, retentionDays: config.retentionDays },
    'producer started',
  );
  return {
    scheduler,
    stop: async () => {
      await scheduler.stop();
      logger.info(scheduler.counters, 'producer stopped');
    },
  };
}
