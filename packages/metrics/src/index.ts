export {
  type FinishedCheck,
  finishedCheck,
  type MetricsSink,
  NO_METRICS,
  type NotificationOutcome,
  type OutcomeFigures,
  type ShedCause,
} from './sink.js';
export {
  createMetrics,
  METRIC_PREFIX,
  type Metrics,
  type MetricsOptions,
  type MonitorFigures,
  type PoolFigures,
  type QueueFigures,
} from './metrics.js';
export {
  answerMetrics,
  carriesToken,
  type MetricsResponse,
  type MetricsServer,
  startMetricsServer,
} from './http.js';
