/**
 * The SDK client, created per provider instance, behind a fetch wrapper that neutralises the SDK's own
 * retries (reference §7.4: back to back, Retry-After ignored, POST creates re-sent on network errors).
 *
 * The wrapper sends each SDK request exactly once and reads its answer whole. Any non-2xx answer, network
 * failure or answer cut off mid-body is thrown as a `TransportError`; the SDK swallows thrown errors and calls the wrapper again with the same `init`
 * object, so the wrapper remembers the failure per `init` and replays it without touching the network.
 * The SDK's loop therefore ends with our error, the SDK never builds an `ApiError` (which would carry the
 * Authorization header), and the waiting retries live in retry.ts / create.ts.
 */
import Replicate from 'replicate';
import { detailFromBody, type Redact, TransportError } from './errors.js';
import type { RateObservation } from './rate-limiter.js';
import { parseRetryAfter, parseStatedLimit, readRateHeaders } from './retry.js';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface ClientOptions {
  token: string;
  baseUrl: string;
  fetch: FetchLike;
  redact: Redact;
  clock: () => number;
  /** Per-request cap on waiting for response headers (a blocking create takes up to `wait` seconds). */
  requestTimeoutMs: number;
  /**
   * Told of every reply to a create (any status; 0 when none came): what it says about the rate limit
   * (rate-limiter.ts).
   */
  onCreateReply?: ((reply: RateObservation) => void) | undefined;
}

/** Network failures where the request certainly never reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeNetworkError(err: unknown): string {
  const code = errorCode(err);
  const name = err instanceof Error ? err.name : 'Error';
  if (name === 'TimeoutError') return 'no response in time (timeout)';
  return code === undefined
    ? `network error (${err instanceof Error ? err.message : String(err)})`
    : `network error ${code}`;
}

/** `POST /predictions`, `POST /models/{o}/{n}/predictions`, `POST /deployments/{o}/{n}/predictions`. */
const isCreate = (method: string, path: string): boolean =>
  method === 'POST' && /\/predictions\/?$/.test(path);

function pathOf(url: string | URL | Request): string {
  const text = typeof url === 'string' ? url : url instanceof URL ? url.href : url.url;
  try {
    const parsed = new URL(text);
    return parsed.pathname;
  } catch {
    return text;
  }
}

/** Wraps `fetch` so that each SDK request goes out once and fails with a `TransportError`. */
export function createTransport(
  options: Pick<ClientOptions, 'fetch' | 'redact' | 'clock' | 'requestTimeoutMs' | 'onCreateReply'>,
) {
  const replays = new WeakMap<object, unknown>();
  const transport: FetchLike = async (url, init) => {
    const key = init ?? {};
    if (replays.has(key)) throw replays.get(key);
    const method = (init?.method ?? 'GET').toUpperCase();
    const path = pathOf(url);
    const where = `${method} ${path}`;
    const create = isCreate(method, path);
    const sentAt = options.clock();
    const timeout = AbortSignal.timeout(options.requestTimeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await options.fetch(url, { ...init, signal });
    } catch (err) {
      if (create) options.onCreateReply?.({ sentAt, status: 0 });
      const failure =
        init?.signal?.aborted === true
          ? err
          : new TransportError({
              message: options.redact(`${where}: ${describeNetworkError(err)}`),
              detail: options.redact(describeNetworkError(err)),
              retryable: true,
              maybeProcessed: !NOT_SENT_CODES.has(errorCode(err) ?? ''),
            });
      replays.set(key, failure);
      throw failure;
    }
    if (response.ok) {
      if (create)
        options.onCreateReply?.({ sentAt, status: response.status, ...readRateHeaders(response.headers) });
      // Read here, so that an answer cut off on the way is a retryable failure like any other (the SDK would
      // throw undici's bare "terminated" from inside its own response.json()).
      let body: ArrayBuffer;
      try {
        body = await response.arrayBuffer();
      } catch (err) {
        const failure =
          init?.signal?.aborted === true
            ? err
            : new TransportError({
                message: options.redact(`${where}: answer cut off (${describeNetworkError(err)})`),
                detail: 'answer cut off',
                retryable: true,
                // A 2xx was sent: the server acted on the request.
                maybeProcessed: true,
              });
        replays.set(key, failure);
        throw failure;
      }
      return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    }
    const text = await response.text().catch(() => '');
    const status = response.status;
    const retryable = status === 429 || status >= 500;
    const detail = options.redact(detailFromBody(text) || response.statusText || `status ${status}`);
    const retryAfterMs = retryable ? parseRetryAfter(response.headers, text, options.clock()) : undefined;
    if (create) {
      options.onCreateReply?.({
        sentAt,
        status,
        ...readRateHeaders(response.headers),
        retryAfterMs,
        stated: status === 429 ? parseStatedLimit(detail) : undefined,
      });
    }
    const failure = new TransportError({
      message: options.redact(`${where}: HTTP ${status}: ${detail}`),
      status,
      detail,
      retryable,
      // A 5xx on a POST may hide a request the server did act on; a 429 never was processed.
      maybeProcessed: status >= 500,
      retryAfterMs,
    });
    replays.set(key, failure);
    throw failure;
  };
  return transport;
}

/** The SDK client for one provider instance: our transport, no FileOutput, the token only here. */
export function createSdkClient(options: ClientOptions): Replicate {
  return new Replicate({
    auth: options.token,
    baseUrl: options.baseUrl,
    fetch: createTransport(options),
    useFileOutput: false,
    fileEncodingStrategy: 'upload',
  });
}
