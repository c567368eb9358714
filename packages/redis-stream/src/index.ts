export type { CheckTask } from './task.js';
export type { QueuedTask, QueueStats, TaskQueue } from './queue.js';
export type { DeadLetterEntry } from './dead-letter.js';
export { TASK_FORMAT_VERSION, decodeTask, encodeTask } from './codec.js';
export { MemoryTaskQueue, type MemoryTaskQueueOptions } from './memory-queue.js';
export {
  RedisTaskQueue,
  RedisTimeoutError,
  createRedisTaskQueue,
  type RedisTaskQueueOptions,
} from './redis-queue.js';
