import { channelSecretBox, type Config, type Logger } from '@better-uptime/config';
import type { Database } from '@better-uptime/db';
import type { MetricsSink } from '@better-uptime/metrics/sink';
import { Notifier } from '@better-uptime/notifications';
import type { TaskQueue } from '@better-uptime/redis-stream';
import { Scheduler } from '@better-uptime/scheduler';

export interface ProducerHandle {
  scheduler: Scheduler;
  notifier: Notifier;
  stop(): Promise<void>;
}

/**
 * The producer role: the scheduler loop publishing due slots to the queue, and the notifier loop sending
 * the outbox's deliveries (its own timers and connections, so a slow receiver never delays a slot).
 */
export function startProducer(options: {
  db: Database;
  queue: TaskQueue;
  config: Pick<
    Config,
    | 'producerTickMs'
    | 'scheduleLeadMs'
    | 'retentionDays'
    | 'rollupRetentionDays'
    | 'notifications'
    | 'allowPrivateTargets'
  >;
  logger: Logger;
  /** The keys that open channel secrets (resolveSecretsKeys); the notifier sends with them. */
  secretsKeys: readonly string[];
  metrics?: MetricsSink;
}): ProducerHandle {
  const { config, logger } = options;
  const scheduler = new Scheduler({
    db: options.db,
    queue: options.queue,
    logger,
    tickMs: config.producerTickMs,
    leadMs: config.scheduleLeadMs,
    retentionDays: config.retentionDays,
    rollupRetentionDays: config.rollupRetentionDays,
    metrics: options.metrics,
  });
  const notifier = new Notifier({
    db: options.db,
    settings: config.notifications,
    allowPrivateTargets: config.allowPrivateTargets,
    secrets: channelSecretBox(options.secretsKeys),
    logger: logger.child({ part: 'notifier' }),
    metrics: options.metrics,
  });
  scheduler.start();
  notifier.start();
  logger.info(
    {
      tickMs: config.producerTickMs,
      leadMs: config.scheduleLeadMs,
      retentionDays: config.retentionDays,
      email: config.notifications.smtpUrl ? 'configured' : 'off (no SMTP_URL)',
      rollupRetentionDays: config.rollupRetentionDays,
    },
    'producer started',
  );
  return {
    scheduler,
    notifier,
    stop: async () => {
      await scheduler.stop();
      await notifier.stop();
      logger.info({ ...scheduler.counters, notifications: notifier.counters }, 'producer stopped');
    },
  };
}
