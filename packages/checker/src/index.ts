export { runCheck, DEFAULT_CONNECT_TIMEOUT_MS } from './check.js';
export {
  DEFAULT_EXPECTED_STATUS,
  describeRanges,
  isValidStatusSpec,
  parseExpectedStatus,
  statusMatches,
  type StatusRange,
} from './status.js';
export { classifyAddress, describeCategory, type AddressCategory } from './address-ranges.js';
export { RefusedTargetError, createGuardedLookup, refusalFor, systemResolver } from './ssrf.js';
export { BodyScanner, MAX_BODY_BYTES, judgeBody, type KeywordMode } from './body.js';
export { MAX_REDIRECTS, isFollowableRedirect } from './redirects.js';
export { describeError, type Failure, type HopPhase } from './errors.js';
export { FAILURE_REASONS, type FailureReason } from './reasons.js';
export { checkMonitorUrl, MAX_URL_LENGTH, type UrlCheck } from './url.js';
export { PATTERN_MESSAGE } from './kinds/schema.js';
export type { MonitorKind, ProbeOptions, SettingsProblem } from './kinds/kind.js';
export {
  DEFAULT_KIND,
  isProblem,
  judgedRegions,
  keepSecrets,
  KIND_NAMES,
  type KindName,
  type KindSettings,
  maskSecrets,
  shownSettings,
  MASKED,
  MONITOR_KINDS,
  monitorKind,
  probe,
  PUSH_KIND_NAMES,
  refineSettings,
  withDefaults,
} from './registry.js';
export type { CheckOutcome, CheckRequest, CheckTimings, HostResolver } from './types.js';
export {
  HEARTBEAT_REGION,
  judgeHeartbeat,
  type HeartbeatSlot,
  type LastPush,
  MAX_PUSH_MESSAGE,
  PUSH_STATUSES,
  type PushStatus,
} from './kinds/heartbeat.js';
