export {
  CHANNEL_DEFINITIONS,
  ChannelConfigError,
  type ChannelDefinition,
  channelDefinition,
  parseChannelConfig,
  type SendContext,
  SIGNATURE_HEADER,
  signature,
} from './channel-types/index.js';
export {
  CHANNEL_TYPES,
  type ChannelType,
  checkChannelConfig,
  maskedConfig,
  MASKED_PATTERN,
  maskSecret,
  newChannelSecret,
} from './channels.js';
export {
  ChannelSecretsUnreadable,
  openChannel,
  sealChannel,
  sealStoredChannelSecrets,
} from './channel-secrets.js';
export { EVENT_TYPES, type EventPayload, type NotificationEventType, STATE_CHANGE_TYPES } from './events.js';
export { messageFor, type Message } from './message.js';
export { parseRetryAfter, type SendResult } from './http.js';
export {
  afterFailure,
  CERTIFICATE_THRESHOLDS_DAYS,
  createSendContext,
  GROUP_HOLD_MS,
  GROUP_MAX,
  leaseMs,
  Notifier,
  type NotifierCounters,
  type NotifierOptions,
  sendDeliveries,
  STORM_MONITORS,
  STORM_WINDOW_MS,
} from './notifier.js';
export { sendTestMessage } from './test-send.js';
