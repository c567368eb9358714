export { nextSlotAfter, phaseMs } from './slots.js';
