/**
 * Why a check failed: the checker's own list. Storage keeps a reason as text, so a new reason needs no
 * migration; every reason names the phase or the judgement that failed.
 */
export const FAILURE_REASONS = [
  'dns',
  'connect',
  'tls',
  'timeout',
  'http_status',
  'keyword',
  'redirects',
  'protocol',
  'too_large',
  'assertion',
  'cert_expiry',
  'packet_loss',
  'unavailable',
  'no_heartbeat',
  'reported_down',
] as const;

export type FailureReason = (typeof FAILURE_REASONS)[number];
