/**
 * Prediction state, its JSON shape (as `GET /predictions/{id}` returns it), the store and change
 * notification (used by `Prefer: wait`, SSE and webhooks).
 */
import type { EventEmitter } from 'node:events';
import { isoTime } from './http.js';
import type { FakeModel, FakeVersion } from './models.js';
import type { PredictionStatus, ReplyProfile, WebhookEvent } from './types.js';

export interface SseEvent {
  event: 'output' | 'logs' | 'error' | 'done';
  data: string;
  id: string;
}

export interface DeliveredFile {
  body: Buffer;
  contentType: string;
}

export const TERMINAL: ReadonlySet<PredictionStatus> = new Set([
  'succeeded',
  'failed',
  'canceled',
  'aborted',
]);

export interface PredictionState {
  id: string;
  /** Creation order (1-based), for listing. */
  seq: number;
  model: FakeModel;
  /** The version it runs (an official model's latest). */
  modelVersion: FakeVersion;
  /** As reported in `model`: the ref, or (recorded profile, official models) the name it is served under. */
  reportedModel: string;
  /** `owner/name` of the deployment it was created through. */
  deployment?: string;
  /** As reported in `version`: the version id; for official models `hidden` (documented) or `dp-…` (recorded). */
  version: string;
  input: Record<string, unknown>;
  status: PredictionStatus;
  output: unknown;
  logs: string;
  error: string | null;
  createdAt: number;
  startedAt?: number;
  completedAt?: number;
  deadline?: number;
  metrics?: Record<string, number>;
  webhook?: string;
  webhookEventsFilter?: WebhookEvent[];
  streamToken?: string;
  /** Output files by name (`out-0.png`), served from `/files-delivery/<id>/<name>`. */
  files: Map<string, DeliveredFile>;
  /** SSE backlog (replayed to late subscribers). */
  events: SseEvent[];
  /** Aborted to stop the run (cancel, deadline, server close). */
  abort: AbortController;
  /** Aborted once the prediction is terminal (stops its timers). */
  settled: AbortController;
  cancelReason?: 'cancel' | 'deadline' | 'close';
  /** `change` after every state change; `sse` with each new SseEvent. */
  emitter: EventEmitter;
}

export interface JsonContext {
  origin: string;
  profile: ReplyProfile;
  now: number;
  /** Clock ms after completion when data is removed. */
  retentionClockMs: number;
}

export function isPurged(
  state: PredictionState,
  ctx: Pick<JsonContext, 'now' | 'retentionClockMs'>,
): boolean {
  return state.completedAt !== undefined && ctx.now >= state.completedAt + ctx.retentionClockMs;
}

export function predictionJson(state: PredictionState, ctx: JsonContext): Record<string, unknown> {
  const purged = isPurged(state, ctx);
  const recorded = ctx.profile === 'recorded';
  const api = `${ctx.origin}/v1/predictions/${state.id}`;
  const urls: Record<string, string> = { cancel: `${api}/cancel`, get: api };
  // The OpenAPI document requires `urls.web`; no recorded reply carries it.
  if (!recorded) urls.web = `https://replicate.com/p/${state.id}`;
  if (state.streamToken !== undefined) urls.stream = `${ctx.origin}/v1/streams/${state.streamToken}`;
  const canceledLogs = recorded && state.status === 'canceled';
  const json: Record<string, unknown> = {
    id: state.id,
    model: state.reportedModel,
    version: state.version,
    input: purged ? {} : state.input,
    logs: purged || canceledLogs ? null : state.logs,
    output: purged ? null : state.output,
    data_removed: purged,
    error: state.error,
    status: state.status,
    created_at: isoTime(state.createdAt),
  };
  if (state.deployment !== undefined) json.deployment = state.deployment;
  if (!recorded) json.source = 'api';
  json.urls = urls;
  if (state.startedAt !== undefined) json.started_at = isoTime(state.startedAt);
  if (state.completedAt !== undefined) json.completed_at = isoTime(state.completedAt);
  if (state.deadline !== undefined) json.deadline = isoTime(state.deadline);
  if (state.metrics !== undefined) {
    // Recorded metrics carry `predict_time` (and billing units), no `total_time`.
    const { total_time: total, ...billed } = state.metrics;
    json.metrics = recorded || total === undefined ? billed : { ...billed, total_time: total };
  }
  if (state.webhook !== undefined) {
    json.webhook = state.webhook;
    json.webhook_events_filter = state.webhookEventsFilter;
  }
  return json;
}

/** Every delivery URL of this prediction inside `value` replaced by the file as a `data:` URI. */
export function withDataUris(
  value: unknown,
  state: PredictionState,
  ctx: Pick<JsonContext, 'origin'>,
  type: 'file' | 'octet-stream',
): unknown {
  const prefix = `${ctx.origin}/files-delivery/${state.id}/`;
  const convert = (v: unknown): unknown => {
    if (typeof v === 'string' && v.startsWith(prefix)) {
      const file = state.files.get(v.slice(prefix.length));
      if (file === undefined) return v;
      const contentType = type === 'octet-stream' ? 'application/octet-stream' : file.contentType;
      return `data:${contentType};base64,${file.body.toString('base64')}`;
    }
    if (Array.isArray(v)) return v.map(convert);
    if (typeof v === 'object' && v !== null) {
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, convert(inner)]));
    }
    return v;
  };
  return convert(value);
}

/**
 * The answer to a create held open by `Prefer: wait`, as the recordings show it: `201`, status
 * `processing` the moment the output exists (no `started_at`, `completed_at` or metrics yet), the output
 * already inlined as `data:` URIs, and `urls.stream`. A prediction that failed or was canceled within the
 * wait, or whose output does not exist yet, is shown as it is.
 */
export function syncReplyJson(
  state: PredictionState,
  ctx: JsonContext,
  dataUriType: 'file' | 'octet-stream',
): Record<string, unknown> {
  const json = predictionJson(state, ctx);
  const done = state.status === 'succeeded' || state.status === 'processing';
  if (!done || state.output === null) return json;
  json.status = 'processing';
  delete json.started_at;
  delete json.completed_at;
  delete json.metrics;
  json.output = withDataUris(state.output, state, ctx, dataUriType);
  return json;
}

export function changed(state: PredictionState): void {
  state.emitter.emit('change');
}

export function pushSse(state: PredictionState, event: SseEvent['event'], data: string): void {
  const sse: SseEvent = { event, data, id: `${Math.floor(state.createdAt / 1000)}:${state.events.length}` };
  state.events.push(sse);
  state.emitter.emit('sse', sse);
}

/** Resolves when `predicate` holds or `signal` aborts (whichever first). */
export function waitUntil(
  state: PredictionState,
  predicate: (state: PredictionState) => boolean,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!predicate(state) && !signal.aborted) return;
      state.emitter.off('change', check);
      signal.removeEventListener('abort', check);
      resolve();
    };
    state.emitter.on('change', check);
    signal.addEventListener('abort', check);
    check();
  });
}

export interface PredictionStore {
  add(state: PredictionState): void;
  get(id: string): PredictionState | undefined;
  byStreamToken(token: string): PredictionState | undefined;
  /** Newest first. */
  newestFirst(): PredictionState[];
  readonly size: number;
  nextSeq(): number;
}

export function createPredictionStore(): PredictionStore {
  const byId = new Map<string, PredictionState>();
  const byToken = new Map<string, PredictionState>();
  let seq = 0;
  return {
    add(state) {
      byId.set(state.id, state);
      if (state.streamToken !== undefined) byToken.set(state.streamToken, state);
    },
    get: (id) => byId.get(id),
    byStreamToken: (token) => byToken.get(token),
    newestFirst: () => [...byId.values()].sort((a, b) => b.seq - a.seq),
    get size() {
      return byId.size;
    },
    nextSeq: () => ++seq,
  };
}
