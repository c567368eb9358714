export { Scheduler, type SchedulerOptions } from './scheduler.js';
export { nextSlotAfter, phaseMs } from './slots.js';
export { taskFor } from './tasks.js';
export { directPush } from './direct-push.js';
