/**
 * The fake Replicate HTTP server for tests: `startFakeReplicate()` plus its clocks, signer and types.
 * See README.md in this folder.
 */
export { createManualClock, createWallClock, type ManualClock } from './clock.js';
export { decodeDataUri } from './inputs.js';
export {
  type FakeModel,
  type FakeModelSpec,
  type FakeVersion,
  type FakeVersionSpec,
  RECORDED_SERVED_AS,
} from './models.js';
export { buildOpenApiSchema } from './openapi.js';
export { makeText, tokenize } from './outputs.js';
export { fluxSize, renderPlaceholder } from './placeholder.js';
export { LOW_CREDIT, lowCreditDetail, type RateLimits } from './rate-limit.js';
export { type FakeReplicate, startFakeReplicate } from './server.js';
export type * from './types.js';
export { REQUEST_KINDS } from './types.js';
export { signWebhook } from './webhooks.js';
