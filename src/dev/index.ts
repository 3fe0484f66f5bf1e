/** `assetgen dev`: the designer's loop — watch, re-run on save, serve the review page live. Re-exports only. */
export type { SpendRequest } from './confirmation.js';
export { type DevOptions, type DevSession, startDev } from './dev.js';
export type { DevEvent, DevPhase, DevProblem, DevRunSummary, DevState } from './types.js';
