/**
 * Looking models up on Replicate before anything is spent: `GET /models/{owner}/{name}` (the model with
 * its latest version's `openapi_schema`), `GET /models/{owner}/{name}/versions/{id}` (a pinned version),
 * and `GET /collections/official` (Replicate: official models are in the `official` collection) — for
 * telling official from community models when the model object has no `is_official` (older replies, and
 * every recorded one, lack it). Idempotent GETs with the provider's waiting retries; nothing is created.
 */
import { ProviderError, UsageError } from '../../errors.js';
import { createSdkClient, type FetchLike } from './client.js';
import { callWithRetries, type ProviderContext } from './context.js';
import { createRedactor, PROVIDER, toProviderError } from './errors.js';
import { createRateLimiter } from './rate-limiter.js';
import { createRealTime, type Sleep } from './retry.js';

type Json = Record<string, unknown>;

export interface ModelLookupOptions {
  token: string;
  baseUrl?: string;
  fetch?: FetchLike;
  /** Attempts per request, the first included (default 4). */
  maxAttempts?: number;
  sleep?: Sleep;
  onWarning?: (message: string) => void;
}

export interface FoundVersion {
  id: string;
  openapiSchema: Json;
}

export interface FoundModel {
  /** `owner/name` */
  model: string;
  /** `is_official` when the reply has it; undefined when it does not say. */
  isOfficial?: boolean;
  latest: FoundVersion | null;
}

export interface ModelLookup {
  model(ref: string, signal: AbortSignal): Promise<FoundModel>;
  version(ref: string, id: string, signal: AbortSignal): Promise<FoundVersion>;
  /** `owner/name` of every model in the official collection (fetched once per lookup). */
  officialModels(signal: AbortSignal): Promise<ReadonlySet<string>>;
  /** A deployment's current release: its model (`owner/name`) and version id. */
  deployment(ref: string, signal: AbortSignal): Promise<{ model: string; version: string }>;
}

function versionOf(raw: unknown): FoundVersion | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { id, openapi_schema } = raw as { id?: unknown; openapi_schema?: unknown };
  if (typeof id !== 'string' || typeof openapi_schema !== 'object' || openapi_schema === null) return null;
  return { id, openapiSchema: openapi_schema as Json };
}

export function createModelLookup(options: ModelLookupOptions): ModelLookup {
  if (typeof options.token !== 'string' || options.token.trim() === '') {
    throw new UsageError('looking models up on Replicate needs an API token (REPLICATE_API_TOKEN)');
  }
  const real = createRealTime();
  const time = { clock: real.clock, sleep: options.sleep ?? real.sleep, random: real.random };
  const redact = createRedactor([options.token]);
  const warn = (message: string): void => options.onWarning?.(redact(message));
  const baseUrl = options.baseUrl ?? 'https://api.replicate.com/v1';
  const ctx: ProviderContext = {
    sdk: createSdkClient({
      token: options.token,
      baseUrl,
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      redact,
      clock: time.clock,
      requestTimeoutMs: 60_000,
    }),
    baseUrl,
    time,
    redact,
    limiter: createRateLimiter({ perMinute: 600, time, warn }),
    maxAttempts: Math.max(1, options.maxAttempts ?? 4),
    warn,
  };
  const call = async <T>(model: string, what: string, signal: AbortSignal, fn: () => Promise<T>) => {
    const errCtx = { model };
    try {
      return await callWithRetries(ctx, what, errCtx, signal, fn);
    } catch (error) {
      const failed = toProviderError(error, what, errCtx, redact, signal);
      if (failed instanceof ProviderError && failed.code === 'REPLICATE_HTTP_404') {
        throw new ProviderError(
          'REPLICATE_MODEL_NOT_FOUND',
          `replicate: ${what}: no such model or version on Replicate (check the name; private models need a token that can see them)`,
          { provider: PROVIDER, model, status: 404, retryable: false },
        );
      }
      throw failed;
    }
  };
  let official: Promise<ReadonlySet<string>> | undefined;
  return {
    async model(ref, signal) {
      const [owner = '', name = ''] = ref.split('/');
      const raw = (await call(ref, `looking up ${ref}`, signal, () =>
        ctx.sdk.models.get(owner, name, { signal }),
      )) as unknown as Json;
      const found: FoundModel = { model: ref, latest: versionOf(raw.latest_version) };
      if (typeof raw.is_official === 'boolean') found.isOfficial = raw.is_official;
      return found;
    },
    async version(ref, id, signal) {
      const [owner = '', name = ''] = ref.split('/');
      const raw = await call(ref, `looking up version ${id.slice(0, 12)}… of ${ref}`, signal, () =>
        ctx.sdk.models.versions.get(owner, name, id, { signal }),
      );
      const version = versionOf(raw);
      if (version === null) {
        throw new ProviderError(
          'REPLICATE_NO_SCHEMA',
          `replicate: version ${id} of ${ref} has no openapi_schema`,
          { provider: PROVIDER, model: ref, retryable: false },
        );
      }
      return version;
    },
    async deployment(ref, signal) {
      const [owner = '', name = ''] = ref.split('/');
      const what = `looking up deployment ${ref}`;
      let raw: Json;
      try {
        raw = (await callWithRetries(ctx, what, { model: ref }, signal, () =>
          ctx.sdk.deployments.get(owner, name, { signal }),
        )) as unknown as Json;
      } catch (error) {
        const failed = toProviderError(error, what, { model: ref }, redact, signal);
        if (failed instanceof ProviderError && failed.code === 'REPLICATE_HTTP_404') {
          throw new ProviderError(
            'REPLICATE_DEPLOYMENT_NOT_FOUND',
            `replicate: ${what}: no such deployment (check the name; the token must belong to its owner)`,
            { provider: PROVIDER, model: ref, status: 404, retryable: false },
          );
        }
        throw failed;
      }
      const release = raw.current_release as { model?: unknown; version?: unknown } | null | undefined;
      if (typeof release?.model !== 'string' || typeof release.version !== 'string') {
        throw new ProviderError(
          'REPLICATE_NO_RELEASE',
          `replicate: deployment ${ref} has no current release with a model version`,
          { provider: PROVIDER, model: ref, retryable: false },
        );
      }
      return { model: release.model, version: release.version };
    },
    officialModels(signal) {
      official ??= call('official models', 'reading the official collection', signal, () =>
        ctx.sdk.collections.get('official', { signal }),
      ).then((collection) => {
        const models = ((collection as unknown as { models?: unknown[] }).models ?? []) as Json[];
        return new Set(models.map((m) => `${String(m.owner)}/${String(m.name)}`));
      });
      official.catch(() => {
        official = undefined;
      });
      return official;
    },
  };
}
