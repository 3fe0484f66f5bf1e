/**
 * `startFakeReplicate()`: a real `node:http` server on 127.0.0.1 that plays api.replicate.com for the
 * `replicate` SDK and the project's provider. Everything is per instance: start one per test (or file).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBehaviourBook } from './behaviour.js';
import { createBusyTracker, createScaledClock, createWallClock, type ManualClock } from './clock.js';
import {
  createDeploymentSet,
  createDeploymentsApi,
  type FakeDeployment,
  type FakeDeploymentSpec,
} from './deployments.js';
import { createFaultPlan, type FaultPlan } from './faults.js';
import { createFilesApi, type StoredFile } from './files-api.js';
import { createRequestHandler } from './handler.js';
import type { EngineContext } from './lifecycle.js';
import {
  createModelRegistry,
  type FakeModel,
  type FakeModelSpec,
  type FakeVersion,
  type FakeVersionSpec,
  RECORDED_SERVED_AS,
} from './models.js';
import { createModelsApi } from './models-api.js';
import { createDefaultOutputMaker } from './outputs.js';
import {
  createPredictionStore,
  isPurged,
  type PredictionState,
  predictionJson,
  syncReplyJson,
  TERMINAL,
  waitUntil,
} from './predictions.js';
import type { PredictionsApiDeps } from './predictions-api.js';
import { createRateLimiter, type RateLimits } from './rate-limit.js';
import {
  type Counts,
  type FakeReplicateOptions,
  type ModelBehaviour,
  REQUEST_KINDS,
  type WebhookAttempt,
} from './types.js';
import { createWebhookDispatcher, newWebhookSecret } from './webhooks.js';

export interface FakeReplicate {
  /** `http://127.0.0.1:PORT/v1` — give it to `new Replicate({ baseUrl })`. */
  readonly baseUrl: string;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** The accepted API token. */
  readonly token: string;
  /** The webhook signing secret (`whsec_…`), as `GET /webhooks/default/secret` returns it. */
  readonly webhookSecret: string;
  /** Requests by kind, plus `total` (live object). */
  readonly counts: Counts;
  resetCounts(): void;
  readonly faults: FaultPlan;
  readonly predictions: {
    /** JSON of every prediction, newest first (as `GET /predictions/{id}` would return it). */
    list(): Record<string, unknown>[];
    get(id: string): Record<string, unknown> | undefined;
    readonly size: number;
    /** Resolves with the prediction's JSON once it is terminal. */
    settled(id: string): Promise<Record<string, unknown>>;
  };
  readonly webhooks: { readonly attempts: readonly WebhookAttempt[]; idle(): Promise<void> };
  readonly files: ReadonlyMap<string, StoredFile>;
  /** The models it serves (the catalog plus `extraModels`); change them mid-test. */
  readonly models: {
    get(ref: string): FakeModel | undefined;
    /** Adds a model (a catalog ref replaces that model). */
    add(spec: FakeModelSpec): FakeModel;
    /** Publishes a new latest version of a model. */
    addVersion(ref: string, spec: FakeVersionSpec): FakeVersion;
    /** Redeploys an official model: predictions created from now on report a new `dp-…` version. */
    redeploy(ref: string): string;
  };
  /** The deployments it serves (`options.deployments`); `set` creates one or makes a new release. */
  readonly deployments: {
    get(ref: string): FakeDeployment | undefined;
    set(spec: FakeDeploymentSpec): FakeDeployment;
  };
  setModelBehaviour(ref: string, behaviour: ModelBehaviour): void;
  /** Replaces the rate limits from now on (e.g. `{}` when a low-credit account is topped up). */
  setRateLimits(limits: RateLimits): void;
  /** The model's next prediction boots cold again. */
  resetColdStart(ref: string): void;
  /** Steps a manual clock (`options.clock = createManualClock()`); throws with the wall clock. */
  advance(ms: number): Promise<void>;
  /** Resolves when every prediction is terminal and no webhook is in flight. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeReplicate(options: FakeReplicateOptions = {}): Promise<FakeReplicate> {
  const token = options.token ?? 'r8_fake-0000000000000000000000000000000000';
  const webhookSecret = options.webhookSecret ?? newWebhookSecret();
  const baseClock = options.clock ?? createWallClock();
  const clock = createScaledClock(baseClock, options.timeScale ?? 1);
  const closing = new AbortController();
  const busy = createBusyTracker();
  const running = new Set<Promise<void>>();
  const faults = createFaultPlan(options.faults);
  const counts = Object.fromEntries([...REQUEST_KINDS, 'total'].map((k) => [k, 0])) as Counts;
  const profile = options.profile ?? 'documented';
  const registry = createModelRegistry({ ...RECORDED_SERVED_AS, ...options.servedAs });
  for (const spec of options.extraModels ?? []) registry.add(spec);
  const deployments = createDeploymentSet(registry, () => Date.now());
  for (const spec of options.deployments ?? []) deployments.set(spec);
  const store = createPredictionStore();
  const behaviours = createBehaviourBook(options.behaviour, options.models, options.seed);
  const maker = createDefaultOutputMaker();
  const workRoot = await mkdtemp(join(tmpdir(), 'fake-replicate-'));
  const retentionClockMs = clock.toClock(options.retentionMs ?? 3_600_000);

  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const files = createFilesApi({
    origin,
    now: clock.now,
    ttlClockMs: clock.toClock(24 * 3_600_000),
    maxBytes: options.maxFileBytes ?? 100 * 1024 * 1024,
    profile,
  });
  const dataUriType = options.dataUriType ?? 'file';
  const jsonContext = () => ({ origin, profile, now: clock.now(), retentionClockMs });
  const toJson = (state: PredictionState) => predictionJson(state, jsonContext());
  const toSyncJson = (state: PredictionState) =>
    profile === 'recorded' ? syncReplyJson(state, jsonContext(), dataUriType) : toJson(state);
  const webhooks = createWebhookDispatcher({
    clock,
    secret: webhookSecret,
    faults,
    snapshot: (state) => JSON.stringify(toJson(state)),
    retryDelaysMs: options.webhookRetryDelaysMs ?? [1_000, 2_000, 4_000, 8_000, 16_000, 29_000],
    throttleMs: options.webhookThrottleMs ?? 500,
    signal: closing.signal,
  });
  const engine: EngineContext = {
    clock,
    busy,
    origin,
    profile,
    outputMode: options.outputMode ?? 'url',
    dataUriType,
    workRoot,
    makerFor: (ref) => behaviours.get(ref).makeOutputs ?? options.makeOutputs ?? maker.make,
    notify: (state, event) => webhooks.notify(state, event),
    resolver: {
      origin,
      fetchableOrigins: options.fetchableOrigins ?? [],
      local(url) {
        const parts = url.pathname.split('/').filter((p) => p !== '');
        if (parts[0] === 'v1' && parts[1] === 'files' && parts[2] !== undefined) return files.bytes(parts[2]);
        if (parts[0] !== 'files-delivery' || parts.length !== 3) return undefined;
        const state = store.get(parts[1] ?? '');
        if (state === undefined || isPurged(state, { now: clock.now(), retentionClockMs })) return undefined;
        return state.files.get(parts[2] ?? '');
      },
    },
  };
  const predictionDeps: PredictionsApiDeps = {
    registry,
    deployments,
    store,
    behaviours,
    engine,
    toJson,
    toSyncJson,
    profile,
    pageSize: options.pageSize ?? 100,
    maxWaitMs: options.maxWaitMs ?? 60_000,
    closing: closing.signal,
    spawn(task) {
      const tracked = task.catch(() => undefined);
      running.add(tracked);
      void tracked.finally(() => running.delete(tracked));
    },
  };
  const limiter = createRateLimiter(clock, options.rateLimits);
  server.on(
    'request',
    createRequestHandler({
      origin,
      token: () => token,
      faults,
      counts,
      limiter,
      clock,
      latencyMs: options.latencyMs ?? 0,
      maxBodyBytes: (options.maxFileBytes ?? 100 * 1024 * 1024) + 1024 * 1024,
      closing: closing.signal,
      routes: {
        predictions: predictionDeps,
        models: createModelsApi(registry, profile),
        deployments: createDeploymentsApi(deployments),
        files,
        webhookSecret,
        retentionClockMs,
        now: clock.now,
      },
    }),
  );

  const settled = async (id: string) => {
    const state = store.get(id);
    if (state === undefined) throw new Error(`no prediction ${id}`);
    await waitUntil(state, (s) => TERMINAL.has(s.status), closing.signal);
    return toJson(state);
  };

  return {
    baseUrl: `${origin}/v1`,
    origin,
    token,
    webhookSecret,
    counts,
    resetCounts() {
      for (const key of Object.keys(counts)) counts[key as keyof Counts] = 0;
    },
    faults,
    predictions: {
      list: () => store.newestFirst().map(toJson),
      get: (id) => {
        const state = store.get(id);
        return state === undefined ? undefined : toJson(state);
      },
      get size() {
        return store.size;
      },
      settled,
    },
    webhooks,
    files: files.files,
    models: {
      get: (ref) => registry.byRef(ref),
      add: (spec) => registry.add(spec),
      addVersion: (ref, spec) => registry.addVersion(ref, spec),
      redeploy: (ref) => registry.redeploy(ref),
    },
    deployments: { get: (ref) => deployments.get(ref), set: (spec) => deployments.set(spec) },
    setModelBehaviour: (ref, behaviour) => behaviours.set(ref, behaviour),
    setRateLimits: (limits) => limiter.set(limits),
    resetColdStart: (ref) => behaviours.resetColdStart(ref),
    async advance(ms) {
      const manual = baseClock as Partial<ManualClock>;
      if (typeof manual.advance !== 'function')
        throw new Error('advance() needs options.clock = createManualClock()');
      await manual.advance(ms, () => busy.idle());
    },
    async idle() {
      await Promise.all(store.newestFirst().map((s) => settled(s.id)));
      await Promise.allSettled([...running]);
      await webhooks.idle();
    },
    async close() {
      if (closing.signal.aborted) return;
      closing.abort();
      for (const state of store.newestFirst()) {
        state.cancelReason ??= 'close';
        state.abort.abort('close');
        state.settled.abort();
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...running]);
      await webhooks.idle();
      await maker.close();
      await rm(workRoot, { recursive: true, force: true });
    },
  };
}
