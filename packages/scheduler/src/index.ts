export { Scheduler, type SchedulerOptions } from './scheduler.js';
export { nextSlotAfter, phaseMs, slotAfter } from './slots.js';
export { judgeDueHeartbeats, type HeartbeatJudgeOptions } from './heartbeats.js';
export { taskFor } from './tasks.js';
export { checkChanged, DirectPush, directPush, type DirectPushOptions } from './direct-push.js';
