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
export type { CheckOutcome, CheckRequest, CheckTimings, FailureReason, HostResolver } from './types.js';
