/**
 * Public types of the fake Replicate server (options, per-model behaviour, faults, counts).
 * Durations are in milliseconds of *simulated* time: the server multiplies each one by `timeScale`
 * and waits for it on its clock (see clock.ts).
 */
import type { CatalogModel } from '../../src/models/catalog.js';
import type { FakeDeploymentSpec } from './deployments.js';
import type { FakeModelSpec } from './models.js';
import type { RateLimits } from './rate-limit.js';

/**
 * How replies are shaped. `documented`: as Replicate's OpenAPI document describes them (`version:
 * "hidden"` for official models, `urls.web`, `source`, `total_time`, `is_official`, files with
 * `urls.download`). `recorded`: as the recorded real exchanges show them (reference §14): official models
 * answer under another name (`servedAs`) with a `dp-<32 hex>` version, no `urls.web` or `source`,
 * `logs: null` when canceled, metrics without `total_time`, `urls.stream` on every prediction, models
 * without `is_official`, files without `urls.download`, and `Prefer: wait` answered `processing` with the
 * output inlined as `data:` URIs.
 */
export type ReplyProfile = 'documented' | 'recorded';

/** Every kind of request the fake tells apart (and counts). */
export const REQUEST_KINDS = [
  'create',
  'get',
  'cancel',
  'list',
  'modelGet',
  'modelList',
  'versionsList',
  'versionGet',
  'collectionList',
  'collectionGet',
  'deploymentGet',
  /** A create through `POST /deployments/{owner}/{name}/predictions` (rate-limited like `create`). */
  'deploymentCreate',
  'fileUpload',
  'fileGet',
  'fileList',
  'fileDelete',
  'fileDownload',
  'download',
  'stream',
  'webhookSecret',
  'account',
  'hardware',
  'unknown',
] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export type Counts = Record<RequestKind | 'total', number>;

/** A clock the server uses for every wait. `sleep` resolves early (without error) when `signal` aborts. */
export interface FakeClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export type PredictionStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted';

/** What the image/text maker returns for one prediction. */
export type MadeOutputs = { files: Buffer[]; contentType: string } | { text: string };

/** A file input, materialised on disk for the maker (same shape as `InputFile` in src/providers/types.ts). */
export interface MakeOutputsRequest {
  /** `owner/name` */
  model: string;
  /** The catalog entry of the version it runs; for a model outside the catalog, one made from its schema. */
  catalog: CatalogModel;
  /** Input with schema defaults applied; file inputs are `InputFile` values (a list for array inputs). */
  input: Record<string, unknown>;
  /** A fresh folder for this prediction. */
  workDir: string;
  predictionId: string;
  signal: AbortSignal;
}

export type MakeOutputs = (request: MakeOutputsRequest) => Promise<MadeOutputs>;

export interface FailureRule {
  /** Every prediction of the model fails. */
  always?: boolean;
  /** The Nth, 2Nth, … prediction of the model fails (counted from 1 per model). */
  everyNth?: number;
  /** Fails when this returns true for the input as sent. */
  when?: (input: Record<string, unknown>) => boolean;
  /** The prediction's `error` text. */
  error?: string;
}

export interface ModelBehaviour {
  /** Time in `processing` before outputs exist (default 20). */
  runMs?: number;
  /** Uniform ± jitter added to `runMs` (default 0). */
  jitterMs?: number;
  /** Time in `starting` for every prediction (queue; default 0). */
  startingMs?: number;
  /** Extra `starting` time of a cold boot (default 0). */
  coldStartMs?: number;
  /** Which predictions boot cold: the model's first one (default), every one, or none. */
  coldStart?: 'first' | 'always' | 'never';
  /** Time the prediction stays `processing` after all files exist (default 0). */
  finalizeMs?: number;
  failure?: FailureRule;
  /** Number of output files regardless of `num_outputs` (cycles through what the maker returned). */
  outputCount?: number;
  /** Overrides the server's maker for this model. */
  makeOutputs?: MakeOutputs;
  /** Log lines written during `processing` (default 4). */
  logSteps?: number;
  /**
   * Whether predictions get `urls.stream` (default: language models; in the recorded profile every model).
   * `false` plays a service that offers no stream.
   */
  stream?: boolean;
}

/** A fault applied to an HTTP request. */
export type RequestFault =
  /** Any status with a Replicate-style JSON body (500, 503, 402 …). */
  | { type: 'status'; status: number; body?: Record<string, unknown> }
  /** 429: body `retry_after` and/or a `Retry-After` header (both by default). */
  | { type: 'rate-limit'; retryAfter?: number; header?: boolean; body?: boolean }
  /** Socket destroyed before anything is processed: nothing is created. */
  | { type: 'reset-before' }
  /** The request is processed (a create DOES create), then the socket is destroyed without a response. */
  | { type: 'reset-after' }
  /** Content-Length announces the full body but only `bytes` (default half) are sent, then the socket closes;
   * on a stream (SSE) the connection dies after `bytes` (default 64) of events. */
  | { type: 'truncate'; bytes?: number }
  /** 404 as if the file URL had expired (downloads). */
  | { type: 'expired' }
  /** The body trickles out `chunkBytes` every `intervalMs`. */
  | { type: 'slow'; chunkBytes?: number; intervalMs?: number }
  /** Extra time before the request is handled. */
  | { type: 'latency'; ms: number };

/** A fault applied to an outgoing webhook message (all attempts of it). */
export type WebhookFault =
  /** The message is never sent (no attempt, no retry). */
  | { type: 'drop' }
  /** Every attempt is sent twice (same webhook-id). */
  | { type: 'duplicate' }
  /** The first attempt goes out `ms` late. */
  | { type: 'delay'; ms: number }
  /** A forged copy (wrong key, tampered body, fresh id) is sent before the genuine message. */
  | { type: 'forge' };

export interface RequestInfo {
  kind: RequestKind;
  method: string;
  /** Path and query, e.g. `/v1/predictions?cursor=…` */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

interface FaultTargeting {
  /** Fires on this many matching requests (default 1; Infinity for all). */
  times?: number;
  /** Skips matching requests until the Nth (1-based) since the fault was added. */
  nth?: number;
}

export type FaultSpec =
  | (FaultTargeting & {
      on: RequestKind | 'any';
      fault: RequestFault;
      /** Extra condition on the request. */
      match?: (request: RequestInfo) => boolean;
    })
  | (FaultTargeting & {
      on: 'webhook';
      fault: WebhookFault;
      /** Only messages for this event (default any). */
      event?: WebhookEvent;
    });

export type WebhookEvent = 'start' | 'output' | 'logs' | 'completed';

export interface FiredFault {
  on: FaultSpec['on'];
  type: string;
  /** Which matching request (1-based) it fired on. */
  match: number;
  url?: string;
}

export interface WebhookAttempt {
  webhookId: string;
  predictionId: string;
  event: WebhookEvent;
  attempt: number;
  /** HTTP status, or 0 on network failure, or -1 when dropped by a fault. */
  status: number;
  forged?: boolean;
}

export interface FakeReplicateOptions {
  /** The accepted API token (default `r8_fake…`). */
  token?: string;
  /** Signing secret `whsec_<base64>` (default random). */
  webhookSecret?: string;
  /** Multiplies every simulated duration before the server waits for it (default 1). */
  timeScale?: number;
  /** Clock for every wait and timestamp (default: wall clock). Use `createManualClock()` to step time. */
  clock?: FakeClock;
  /** Behaviour of every model, then per model (`owner/name`). */
  behaviour?: ModelBehaviour;
  models?: Record<string, ModelBehaviour>;
  /** Makes the outputs (default: the project's local provider, else a placeholder renderer). */
  makeOutputs?: MakeOutputs;
  /** How file outputs are returned (default `url`). */
  outputMode?: 'url' | 'data-uri';
  /** Reply shapes (default `documented`; see `ReplyProfile`). */
  profile?: ReplyProfile;
  /** The type inside `data:` URI outputs: the file's own (default) or `application/octet-stream`. */
  dataUriType?: 'file' | 'octet-stream';
  /** Models beyond the catalog (a spec with a catalog ref replaces that model). */
  extraModels?: FakeModelSpec[];
  /** Deployments it serves (`GET /deployments/…`, creates through them); models must be known. */
  deployments?: FakeDeploymentSpec[];
  /** Recorded profile: the names official models answer under (default `RECORDED_SERVED_AS`). */
  servedAs?: Record<string, string>;
  /** Simulated ms after completion when outputs are purged (default 1 hour). */
  retentionMs?: number;
  /** Page size of list endpoints (default 100, as Replicate). */
  pageSize?: number;
  /** Upper bound on how long `Prefer: wait` holds, in simulated ms (default 60 000). */
  maxWaitMs?: number;
  /** Faults planned from the start. */
  faults?: FaultSpec[];
  /** Simulated latency before each request is handled (default 0). */
  latencyMs?: number;
  /**
   * Token buckets per simulated minute; 429 once empty (defaults 600 create / 3000 other; `lowCredit`: creates
   * at 6/min with a burst of 1 and Replicate's low-credit 429). See rate-limit.ts.
   */
  rateLimits?: RateLimits;
  /** Simulated delays between webhook retries of a `completed` message. */
  webhookRetryDelaysMs?: number[];
  /** Simulated minimum gap between `output`/`logs` webhooks (default 500). */
  webhookThrottleMs?: number;
  /** Upload size limit (default 100 MiB). */
  maxFileBytes?: number;
  /** Other origins (e.g. another 127.0.0.1 test server) the fake may fetch input URLs from. */
  fetchableOrigins?: string[];
  /** Seed of the jitter random generator (default 1). */
  seed?: number;
}
