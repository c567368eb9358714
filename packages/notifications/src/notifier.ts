import type { Logger, NotificationSettings, SecretBox } from '@better-uptime/config';
import { type Database, incidentQueries, notificationQueries } from '@better-uptime/db';
import { incidentEvent } from '@better-uptime/incidents';
import type { MetricsSink } from '@better-uptime/metrics/sink';
import { certificateEvent, type EventPayload, STATE_CHANGE_TYPES } from './events.js';
import { channelDefinition, type SendContext } from './channel-types/index.js';
import { openChannel } from './channel-secrets.js';
import type { SendResult } from './http.js';
import { createMailer } from './mail.js';
import { messageFor } from './message.js';

type ClaimedDelivery = notificationQueries.ClaimedDelivery;

/** A state change's deliveries wait this long after their event, so a burst of them can be grouped. */
export const GROUP_HOLD_MS = 2_000;
/** More than STORM_MONITORS of one user's monitors changing state within STORM_WINDOW_MS is an alert storm. */
export const STORM_WINDOW_MS = 30_000;
export const STORM_MONITORS = 10;
/** A grouped message carries at most this many deliveries. */
export const GROUP_MAX = 500;
/** Retries back off exponentially from the base up to this. */
export const MAX_RETRY_DELAY_MS = 3_600_000;
/** Certificates are told of when they cross these numbers of days before expiry. */
export const CERTIFICATE_THRESHOLDS_DAYS = [14, 7, 1] as const;
const DAY_MS = 86_400_000;
/** How soon a notifier looks again after a send freed a slot. */
const WAKE_DELAY_MS = 10;

/** A claimed delivery is someone else's again after this, if its notifier died mid-send. */
export function leaseMs(settings: Pick<NotificationSettings, 'timeoutMs'>): number {
  return settings.timeoutMs * 2 + 5_000;
}

/** What happens after a failed attempt: another one at `at`, or giving up. */
export function afterFailure(
  result: Extract<SendResult, { ok: false }>,
  attempts: number,
  firstCreatedAt: number,
  now: number,
  settings: Pick<NotificationSettings, 'retryBaseMs' | 'giveUpAfterMs'>,
  random = Math.random,
): { outcome: 'retry'; at: number } | { outcome: 'failed'; error: string } {
  if (!result.retryable) return { outcome: 'failed', error: result.error };
  const backoff = Math.min(settings.retryBaseMs * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS);
  // The receiver's Retry-After wins, but never below the base delay (a receiver answering 429 with
  // Retry-After: 0 must not make the notifier spin); otherwise ±20% jitter, so failed receivers are not
  // hit in lockstep.
  const delay =
    result.retryAfterMs === undefined
      ? backoff * (0.8 + 0.4 * random())
      : Math.max(result.retryAfterMs, settings.retryBaseMs);
  const at = now + delay;
  if (at > firstCreatedAt + settings.giveUpAfterMs) {
    return {
      outcome: 'failed',
      error: `gave up after ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}: ${result.error}`,
    };
  }
  return { outcome: 'retry', at };
}

export interface NotifierOptions {
  db: Database;
  settings: NotificationSettings;
  allowPrivateTargets: boolean;
  /** Opens the channels' sealed secrets (SECRETS_KEY). */
  secrets: SecretBox;
  logger: Logger;
  /** How often open incidents are looked at for reminders (default 30 s). */
  reminderScanMs?: number;
  /** How often certificates are looked at (default 1 h; the first look comes a minute after start). */
  certificateScanMs?: number;
  /** Where deliveries are counted by channel type and outcome (Prometheus). */
  metrics?: MetricsSink;
}

export interface NotifierCounters {
  messages: number;
  delivered: number;
  retried: number;
  failed: number;
  grouped: number;
}

/** The sending side shared by the notifier loop and the API's test send. */
export function createSendContext(
  settings: NotificationSettings,
  allowPrivateTargets: boolean,
  secrets: SecretBox,
): SendContext {
  return { settings, allowPrivateTargets, secrets, sendMail: createMailer(settings) };
}

/**
 * Sends one message for these deliveries (one, or a storm's group of one channel) and records the attempt
 * on each. Never throws for a receiver's failure; a database failure leaves the leases to run out, and the
 * deliveries are sent again (at least once).
 */
export async function sendDeliveries(
  db: Database,
  batch: readonly ClaimedDelivery[],
  context: SendContext,
  logger: Logger,
  /** False for a one-off send (a test message): a failure is final. */
  retry = true,
): Promise<{ outcome: 'delivered' | 'retry' | 'failed'; statusCode: number | null; error: string | null }> {
  const first = batch[0]!;
  const definition = channelDefinition(first.channel.type);
  const message = messageFor(
    batch.map((d) => d.payload as unknown as EventPayload),
    context.settings.publicUrl,
  );
  const started = performance.now();
  let result: SendResult;
  try {
    // Opened here, for this send only: the claimed row carries the secrets sealed.
    result = await definition.send(message, openChannel(first.channel, context.secrets), context);
  } catch (error) {
    result = {
      ok: false,
      statusCode: null,
      error: `send failed: ${(error as Error).message}`,
      retryable: true,
    };
  }
  const latencyMs = performance.now() - started;
  const ids = batch.map((d) => d.id);
  const where = {
    channelId: first.channel.id,
    channelType: first.channel.type,
    eventType: batch.length > 1 ? 'group' : first.eventType,
    deliveries: ids.length,
  };
  if (result.ok) {
    await notificationQueries.recordAttempt(db, ids, {
      outcome: 'delivered',
      statusCode: result.statusCode,
      latencyMs,
      error: null,
    });
    logger.debug({ ...where, latencyMs: Math.round(latencyMs) }, 'notification delivered');
    return { outcome: 'delivered', statusCode: result.statusCode, error: null };
  }
  const next = afterFailure(
    retry ? result : { ...result, retryable: false },
    Math.max(...batch.map((d) => d.attempts)),
    Math.min(...batch.map((d) => d.createdAt)),
    Date.now(),
    context.settings,
  );
  if (next.outcome === 'retry') {
    await notificationQueries.recordAttempt(db, ids, {
      outcome: 'retry',
      statusCode: result.statusCode,
      latencyMs,
      error: result.error,
      nextAttemptAt: next.at,
    });
    logger.info(
      {
        ...where,
        error: result.error,
        statusCode: result.statusCode,
        retryAt: new Date(next.at).toISOString(),
      },
      'notification not delivered; will retry',
    );
    return { outcome: 'retry', statusCode: result.statusCode, error: result.error };
  }
  await notificationQueries.recordAttempt(db, ids, {
    outcome: 'failed',
    statusCode: result.statusCode,
    latencyMs,
    error: next.error,
  });
  logger.warn({ ...where, error: next.error, statusCode: result.statusCode }, 'notification given up');
  return { outcome: 'failed', statusCode: result.statusCode, error: next.error };
}

/**
 * The notifier loop: leases due deliveries (several notifiers take disjoint rows), sends each on its own
 * promise under a total bound and a per-channel bound, so a slow or dead receiver holds only its own
 * channel's slots, never another channel's or a check's. Also raises reminders of open incidents and
 * certificate warnings, each exactly once however many notifiers run.
 */
export class Notifier {
  readonly counters: NotifierCounters = { messages: 0, delivered: 0, retried: 0, failed: 0, grouped: 0 };
  private readonly context: SendContext;
  private readonly inFlightByChannel = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private ticking: Promise<void> | undefined;
  private woken = false;
  private nextReminderScan = 0;
  private nextCertificateScan: number;
  private readonly stormCache = new Map<string, { at: number; storm: boolean }>();

  constructor(private readonly options: NotifierOptions) {
    this.context = createSendContext(options.settings, options.allowPrivateTargets, options.secrets);
    this.nextCertificateScan = Date.now() + 60_000;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops claiming and waits for the messages in flight (each bounded by the timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.allSettled([...this.running]);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.woken = false;
      this.ticking = this.tick()
        .catch((error: unknown) => this.options.logger.warn({ err: error }, 'notifier pass failed'))
        .finally(() => {
          this.ticking = undefined;
          this.schedule(this.woken ? WAKE_DELAY_MS : this.options.settings.pollMs);
        });
    }, delayMs);
  }

  /** A slot came free: look again soon instead of after a whole poll (a busy channel drains faster). */
  private wake(): void {
    if (this.stopped) return;
    this.woken = true;
    if (this.ticking || this.timer === undefined) return; // the pass in progress reschedules
    clearTimeout(this.timer);
    this.schedule(WAKE_DELAY_MS);
  }

  /** One pass: due scans, then as many due deliveries as there are free slots. */
  async tick(): Promise<void> {
    const now = Date.now();
    if (now >= this.nextReminderScan) {
      this.nextReminderScan = now + (this.options.reminderScanMs ?? 30_000);
      await this.scanReminders(now);
    }
    if (now >= this.nextCertificateScan) {
      this.nextCertificateScan = now + (this.options.certificateScanMs ?? 3_600_000);
      await this.scanCertificates(now);
    }
    const { settings } = this.options;
    const free = settings.concurrency - this.inFlight;
    if (free <= 0) return;
    const busy = [...this.inFlightByChannel].filter(([, n]) => n >= settings.channelConcurrency);
    const claimed = await notificationQueries.claimDeliveries(this.options.db, {
      limit: free,
      perChannel: settings.channelConcurrency,
      skipChannels: busy.map(([id]) => id),
      leaseMs: leaseMs(settings),
      heldTypes: STATE_CHANGE_TYPES,
      holdMs: GROUP_HOLD_MS,
    });
    // In an alert storm, a channel's state changes claimed together go out as one message.
    const stormBatches = new Map<string, ClaimedDelivery[]>();
    for (const delivery of claimed) {
      if (await this.groupable(delivery)) {
        const batch = stormBatches.get(delivery.channel.id);
        if (batch) batch.push(delivery);
        else stormBatches.set(delivery.channel.id, [delivery]);
      } else this.dispatch([delivery], false);
    }
    for (const batch of stormBatches.values()) this.dispatch(batch, true);
  }

  private async groupable(delivery: ClaimedDelivery): Promise<boolean> {
    return (
      channelDefinition(delivery.channel.type).groups &&
      STATE_CHANGE_TYPES.includes(delivery.eventType as never) &&
      (await this.inStorm(delivery.userId))
    );
  }

  private dispatch(batch: ClaimedDelivery[], storm: boolean): void {
    const channelId = batch[0]!.channel.id;
    this.inFlight++;
    this.inFlightByChannel.set(channelId, (this.inFlightByChannel.get(channelId) ?? 0) + 1);
    const task = this.deliver(batch, storm)
      .catch((error: unknown) =>
        // The leases run out and another pass sends these again.
        this.options.logger.warn({ err: error, channelId }, 'notification attempt not recorded'),
      )
      .finally(() => {
        this.inFlight--;
        const left = (this.inFlightByChannel.get(channelId) ?? 1) - 1;
        if (left > 0) this.inFlightByChannel.set(channelId, left);
        else this.inFlightByChannel.delete(channelId);
        this.running.delete(task);
        this.wake();
      });
    this.running.add(task);
  }

  /** Sends a batch: one delivery, or a storm's claimed state changes with the channel's others pending. */
  private async deliver(batch: ClaimedDelivery[], storm: boolean): Promise<void> {
    const { db, settings, logger } = this.options;
    if (storm && batch.length < GROUP_MAX) {
      batch.push(
        ...(await notificationQueries.claimGroup(
          db,
          batch[0]!.channel.id,
          STATE_CHANGE_TYPES,
          leaseMs(settings),
          GROUP_MAX - batch.length,
          batch.map((d) => d.id),
        )),
      );
    }
    const { outcome } = await sendDeliveries(db, batch, this.context, logger);
    this.counters.messages++;
    if (batch.length > 1) this.counters.grouped++;
    if (outcome === 'delivered') this.counters.delivered += batch.length;
    else if (outcome === 'retry') this.counters.retried += batch.length;
    else this.counters.failed += batch.length;
    this.options.metrics?.notificationsSent(batch[0]!.channel.type, outcome, batch.length);
  }

  /** Whether more than STORM_MONITORS of the user's monitors changed state in the last STORM_WINDOW_MS. */
  private async inStorm(userId: string): Promise<boolean> {
    const now = Date.now();
    const cached = this.stormCache.get(userId);
    if (cached && now - cached.at < 1_000) return cached.storm;
    const changed = await notificationQueries.stateChangesSince(
      this.options.db,
      userId,
      STATE_CHANGE_TYPES,
      now - STORM_WINDOW_MS,
    );
    const storm = changed > STORM_MONITORS;
    if (this.stormCache.size > 10_000) this.stormCache.clear();
    this.stormCache.set(userId, { at: now, storm });
    return storm;
  }

  /** Raises incident.reminder for open, unacknowledged incidents whose monitor's interval has passed. */
  async scanReminders(now = Date.now()): Promise<number> {
    const { db } = this.options;
    let raised = 0;
    for (const due of await notificationQueries.dueReminders(db, 500)) {
      const made = await db.transaction(async (transaction) => {
        const tx = transaction as unknown as Database;
        if (!(await notificationQueries.takeReminder(tx, due.incidentId, due.intervalMinutes))) return false;
        const [incident] = await incidentQueries.incidentsById(tx, [due.incidentId]);
        const [monitor] = incident ? await incidentQueries.monitorRules(tx, [incident.monitorId]) : [];
        if (!incident || !monitor) return false;
        await incidentQueries.enqueueEvents(tx, [incidentEvent('incident.reminder', monitor, incident, now)]);
        return true;
      });
      if (made) raised++;
    }
    return raised;
  }

  /**
   * Raises certificate.expiring when an HTTPS monitor's certificate is within 14, 7 or 1 days of expiry:
   * once per threshold per certificate (a renewed certificate has a new expiry, and starts afresh). A
   * certificate first seen past several thresholds is told of once, at the nearest.
   */
  async scanCertificates(now = Date.now()): Promise<number> {
    const { db } = this.options;
    const horizon = now + Math.max(...CERTIFICATE_THRESHOLDS_DAYS) * DAY_MS;
    let raised = 0;
    for (const certificate of await notificationQueries.certificatesExpiringBefore(db, horizon)) {
      const crossed = CERTIFICATE_THRESHOLDS_DAYS.filter(
        (days) => certificate.expiresAt - now <= days * DAY_MS,
      );
      const made = await db.transaction(async (transaction) => {
        const tx = transaction as unknown as Database;
        const fresh = await notificationQueries.takeCertificateThresholds(
          tx,
          certificate.monitorId,
          certificate.expiresAt,
          crossed,
        );
        if (fresh.length === 0) return false;
        await incidentQueries.enqueueEvents(tx, [certificateEvent(certificate, Math.min(...fresh), now)]);
        return true;
      });
      if (made) raised++;
    }
    return raised;
  }
}
