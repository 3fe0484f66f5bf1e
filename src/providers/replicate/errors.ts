/**
 * Error shapes of the Replicate provider and the boundary that turns every failure into a
 * `ProviderError` without secrets: the SDK's `ApiError` carries the Authorization header in `.request`,
 * so nothing from it is kept but the status and the body's `detail`/`title`; the token string is
 * scrubbed from every text that leaves this folder.
 */
import { CancelledError, ProviderError } from '../../errors.js';

export const PROVIDER = 'replicate';

/** Replaces every secret (and any `Bearer …`/`Token …`/`r8_…` look-alike) in a text. */
export type Redact = (text: string) => string;

/**
 * A credential after an auth scheme: 8 or more token characters, at least one a digit, ending at a word
 * boundary — so `Bearer r8_abc123…` is caught, while prose such as Replicate's 401 detail "…a valid
 * authentication token [HTTP 401]" or "token provided" stays readable.
 */
const SCHEME_CREDENTIAL =
  /\b(Bearer|Token)(\s+)(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}(?![A-Za-z0-9._~+/=-])/gi;

export function createRedactor(secrets: readonly (string | undefined)[]): Redact {
  const values = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  return (text) => {
    let out = text;
    for (const secret of values) out = out.split(secret).join('[redacted]');
    return out.replace(SCHEME_CREDENTIAL, '$1$2[redacted]').replace(/\br8_[A-Za-z0-9]+/g, 'r8_[redacted]');
  };
}

/**
 * One failed HTTP exchange, as seen by the fetch wrapper (internal: converted to `ProviderError` at the
 * provider boundary). `maybeProcessed` tells whether the server may have acted on the request.
 */
export class TransportError extends Error {
  readonly status: number | undefined;
  readonly detail: string;
  readonly retryable: boolean;
  readonly maybeProcessed: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(init: {
    message: string;
    status?: number;
    detail: string;
    retryable: boolean;
    maybeProcessed: boolean;
    retryAfterMs?: number | undefined;
  }) {
    super(init.message);
    this.name = 'TransportError';
    this.status = init.status;
    this.detail = init.detail;
    this.retryable = init.retryable;
    this.maybeProcessed = init.maybeProcessed;
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** What an error message names: the model, the recipe step and asset, the prediction. */
export interface ErrorContext {
  model: string;
  label?: { recipe: string; asset: string; step: string } | undefined;
  predictionId?: string | undefined;
}

export function describeTask(ctx: ErrorContext): string {
  const where = ctx.label
    ? ` (${ctx.label.recipe}: asset "${ctx.label.asset}", step "${ctx.label.step}")`
    : '';
  return `${ctx.model}${where}`;
}

/** Builds a ProviderError whose message names model, step, asset, status and prediction id. */
export function providerError(
  code: string,
  what: string,
  ctx: ErrorContext,
  redact: Redact,
  extra: { status?: number | undefined; retryable?: boolean } = {},
): ProviderError {
  const parts = [`replicate: ${describeTask(ctx)}: ${what}`];
  if (extra.status !== undefined) parts.push(`[HTTP ${extra.status}]`);
  if (ctx.predictionId !== undefined) parts.push(`[prediction ${ctx.predictionId}]`);
  const details: ConstructorParameters<typeof ProviderError>[2] = { provider: PROVIDER, model: ctx.model };
  if (extra.status !== undefined) details.status = extra.status;
  if (ctx.predictionId !== undefined) details.predictionId = ctx.predictionId;
  if (extra.retryable !== undefined) details.retryable = extra.retryable;
  return new ProviderError(code, redact(parts.join(' ')), details);
}

/** `Request to <url> failed with status <code> <text>: <body>.` → status and the body's detail/title. */
export function parseApiErrorMessage(message: string): { status?: number; detail: string } {
  const match = /failed with status (\d{3})[^:]*: ([\s\S]*)\.$/.exec(message);
  if (!match) return { detail: message };
  return { status: Number(match[1]), detail: detailFromBody(match[2] ?? '') };
}

/** The human part of an error body: `detail`, else `title`, else the (short) raw text. */
export function detailFromBody(text: string): string {
  try {
    const body = JSON.parse(text) as { detail?: unknown; title?: unknown };
    if (typeof body.detail === 'string' && body.detail !== '') return body.detail.trim();
    if (typeof body.title === 'string' && body.title !== '') return body.title.trim();
  } catch {
    // not JSON: fall through to the raw text
  }
  const trimmed = text.trim();
  return trimmed.length > 200 ? `${trimmed.slice(0, 197)}...` : trimmed;
}

/**
 * The boundary: anything thrown by the SDK, the fetch wrapper or Node becomes a ProviderError (or stays a
 * CancelledError/ProviderError). No `cause` is kept: SDK errors hold request headers.
 */
export function toProviderError(
  err: unknown,
  what: string,
  ctx: ErrorContext,
  redact: Redact,
  signal?: AbortSignal,
): ProviderError | CancelledError {
  if (err instanceof ProviderError || err instanceof CancelledError) return err;
  if (signal?.aborted) {
    return new CancelledError(redact(`replicate: ${describeTask(ctx)}: cancelled`));
  }
  if (err instanceof TransportError) {
    const code = err.status === undefined ? 'REPLICATE_NETWORK' : `REPLICATE_HTTP_${err.status}`;
    return providerError(code, `${what} failed: ${err.detail}`, ctx, redact, {
      status: err.status,
      retryable: err.retryable,
    });
  }
  if (err instanceof Error && err.name === 'ApiError') {
    const { status, detail } = parseApiErrorMessage(err.message);
    return providerError(`REPLICATE_HTTP_${status ?? 'ERROR'}`, `${what} failed: ${detail}`, ctx, redact, {
      status,
      retryable: status === 429 || (status !== undefined && status >= 500),
    });
  }
  const text = err instanceof Error ? err.message : String(err);
  return providerError('REPLICATE_ERROR', `${what} failed: ${text}`, ctx, redact);
}
