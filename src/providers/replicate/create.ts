/**
 * Creating a prediction without ever paying twice. Creates go through the rate limiter and carry
 * `Prefer: wait=N` (and `Cancel-After` when the step has a time limit). A create whose outcome is unknown
 * (network error after sending, 5xx, unreadable answer) is not re-sent blindly: recent predictions are
 * listed (`created_after` = start − margin, walking pages) and a match — same model/version, same input —
 * is adopted. Only when none is found is the create sent again. A 429 is waited out and retried.
 */

import { callWithRetries, type ProviderContext } from './context.js';
import { type ErrorContext, TransportError } from './errors.js';
import { asPrediction, type Prediction } from './prediction.js';
import { retryDelay } from './retry.js';

export interface CreateOptions {
  /** `owner/name` */
  model: string;
  /** Version id for community models; absent for official models. */
  version?: string | undefined;
  /** Prepared input: files already turned into URLs. */
  input: Record<string, unknown>;
  /** `Prefer: wait=N` (clamped to 1..60); 0 creates without waiting. */
  waitSeconds: number;
  cancelAfterSeconds?: number | undefined;
  webhookUrl?: string | undefined;
  signal: AbortSignal;
  /** Prediction ids this provider already owns: never adopted a second time. */
  claimed: Set<string>;
  /** How far before the create's start to look for it (default 2 minutes). */
  lookbackMs?: number;
}

export interface CreateResult {
  prediction: Prediction;
  /** True when the prediction was found in the list after an unknown-outcome create. */
  adopted: boolean;
}

/** `Cancel-After` value: whole seconds, at least the API's minimum of 5. */
export function cancelAfterHeader(seconds: number): string {
  return `${Math.max(5, Math.ceil(seconds))}s`;
}

export function clampWait(seconds: number): number {
  return Math.min(60, Math.max(1, Math.round(seconds)));
}

export async function createPrediction(
  ctx: ProviderContext,
  options: CreateOptions,
  errCtx: ErrorContext,
): Promise<CreateResult> {
  const { sdk, time, limiter } = ctx;
  const headers: Record<string, string> = {};
  if (options.waitSeconds > 0) headers.Prefer = `wait=${clampWait(options.waitSeconds)}`;
  if (options.cancelAfterSeconds !== undefined)
    headers['Cancel-After'] = cancelAfterHeader(options.cancelAfterSeconds);
  const body: Record<string, unknown> = { input: options.input };
  if (options.webhookUrl !== undefined) {
    body.webhook = options.webhookUrl;
    body.webhook_events_filter = ['completed'];
  }
  let route: string;
  if (options.version === undefined) {
    route = `/models/${options.model}/predictions`;
  } else {
    route = '/predictions';
    body.version = options.version;
  }
  const startedAt = time.clock();

  for (let attempt = 0; ; attempt++) {
    await limiter.acquire(options.signal);
    try {
      const response = await sdk.request(route, {
        method: 'POST',
        headers,
        data: body,
        signal: options.signal,
      });
      const prediction = await readPrediction(response);
      options.claimed.add(prediction.id);
      return { prediction, adopted: false };
    } catch (err) {
      if (options.signal.aborted || !(err instanceof TransportError) || !err.retryable) throw err;
      if (err.status === 429) limiter.penalize();
      if (err.maybeProcessed) {
        ctx.warn(`replicate: ${errCtx.model}: create had an unknown outcome (${err.detail}); looking for it`);
        const found = await findRecentPrediction(ctx, { ...options, since: startedAt }, errCtx);
        if (found) {
          ctx.warn(`replicate: ${errCtx.model}: adopted prediction ${found.id} instead of creating again`);
          return { prediction: found, adopted: true };
        }
      }
      if (attempt + 1 >= ctx.maxAttempts) throw err;
      const delay = retryDelay(err, attempt, time.random);
      ctx.warn(
        `replicate: ${errCtx.model}: create failed (${err.detail}${err.status ? `, HTTP ${err.status}` : ''}); ` +
          `retry ${attempt + 1}/${ctx.maxAttempts - 1} in ${Math.round(delay)} ms`,
      );
      await time.sleep(delay, options.signal);
    }
  }
}

async function readPrediction(response: Response): Promise<Prediction> {
  try {
    return asPrediction(await response.json());
  } catch (err) {
    // The server answered 2xx, so it did create something: the body was cut or garbled.
    throw new TransportError({
      message: `create: unreadable answer (${err instanceof Error ? err.message : String(err)})`,
      detail: 'unreadable answer to a create',
      retryable: true,
      maybeProcessed: true,
    });
  }
}

/** JSON normalisation: key order does not matter, `undefined` entries vanish. */
function normalize(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null));
}

/**
 * How one leaf of the input we would send compares with the echoed value: `true`/`false` decide, a
 * function defers an async check (run only when everything else matched), `undefined` compares as usual.
 */
export type LeafRule = (sent: unknown, echoed: unknown) => boolean | (() => Promise<boolean>) | undefined;

/** Structural comparison of inputs (after JSON normalisation) with a rule for special leaves. */
export function compareInputs(
  sent: unknown,
  echoed: unknown,
  rule: LeafRule,
): { equal: boolean; deferred: (() => Promise<boolean>)[] } {
  const deferred: (() => Promise<boolean>)[] = [];
  const eq = (x: unknown, y: unknown): boolean => {
    const special = rule(x, y);
    if (typeof special === 'function') {
      deferred.push(special);
      return true;
    }
    if (special !== undefined) return special;
    if (Array.isArray(x)) return Array.isArray(y) && x.length === y.length && x.every((v, i) => eq(v, y[i]));
    if (typeof x === 'object' && x !== null) {
      if (typeof y !== 'object' || y === null || Array.isArray(y)) return false;
      const kx = Object.keys(x);
      const ky = Object.keys(y);
      return kx.length === ky.length && kx.every((k) => k in y && eq((x as never)[k], (y as never)[k]));
    }
    return x === y;
  };
  return { equal: eq(normalize(sent), normalize(echoed)), deferred };
}

/**
 * A `data:` URI we sent matches the same URI echoed back, or any non-`data:` string (the server may
 * store it and show a URL instead).
 */
const sentDataUri: LeafRule = (x, y) => {
  if (typeof x !== 'string' || !x.startsWith('data:')) return undefined;
  return typeof y === 'string' && (!y.startsWith('data:') || x === y);
};

/** Deep equality of prepared inputs (see `sentDataUri` for data URIs). */
export function inputsMatch(sent: unknown, echoed: unknown): boolean {
  return compareInputs(sent, echoed, sentDataUri).equal;
}

function sameOrigin(url: string, baseUrl: string): boolean {
  try {
    return new URL(url).origin === new URL(baseUrl).origin;
  } catch {
    return false;
  }
}

interface Page {
  next?: string | null;
  results?: unknown[];
}

export interface FindOptions {
  /** `owner/name` */
  model: string;
  version?: string | undefined;
  /** The input the create sent (compared with `inputsMatch` unless `matches` is given). */
  input: Record<string, unknown>;
  signal: AbortSignal;
  /** Ids already owned by a task of this provider: skipped; the one found is added before returning. */
  claimed: Set<string>;
  /** When the create (or its intent) started, on the local clock (ms). */
  since: number;
  /** How far before `since` to look (default 2 minutes: covers clock skew). */
  lookbackMs?: number | undefined;
  /** Compares the echoed input (async: file contents may have to be looked up). */
  matches?: ((echoed: unknown) => Promise<boolean>) | undefined;
  /** Extra condition on a candidate (e.g. not canceled). */
  usable?: ((prediction: Prediction) => boolean) | undefined;
}

/**
 * The prediction an unknown-outcome create may have made: listed newest first from `since − lookback`,
 * same model (official) or version (community), same input, not already owned. Pages are followed only
 * on the API's own origin (the token goes with them). The one found is claimed at once, so two tasks
 * looking at the same time never both get it.
 */
export async function findRecentPrediction(
  ctx: ProviderContext,
  options: FindOptions,
  errCtx: ErrorContext,
): Promise<Prediction | undefined> {
  const from = options.since - (options.lookbackMs ?? 120_000);
  const params = { created_after: new Date(from).toISOString() };
  const matches = options.matches ?? (async (echoed: unknown) => inputsMatch(options.input, echoed));
  let route: string | URL = '/predictions';
  for (let pageNo = 0; pageNo < 20; pageNo++) {
    const current = route;
    const page = await callWithRetries(
      ctx,
      'listing recent predictions',
      errCtx,
      options.signal,
      async () => {
        const response = await ctx.sdk.request(current, {
          method: 'GET',
          params: typeof current === 'string' ? params : {},
          signal: options.signal,
        });
        return (await response.json()) as Page;
      },
    );
    let older = false;
    for (const item of page.results ?? []) {
      const p = item as Prediction;
      if (typeof p?.id !== 'string') continue;
      const created = p.created_at ? Date.parse(p.created_at) : Number.NaN;
      if (!Number.isNaN(created) && created < from) older = true;
      if (options.claimed.has(p.id) || p.source === 'web') continue;
      const sameModel =
        options.version === undefined ? p.model === options.model : p.version === options.version;
      if (!sameModel || (options.usable && !options.usable(p)) || !(await matches(p.input))) continue;
      // Checked again: another task may have claimed it while the input was being compared.
      if (options.claimed.has(p.id)) continue;
      options.claimed.add(p.id);
      return asPrediction(p);
    }
    if (older || !page.next || !sameOrigin(page.next, ctx.baseUrl)) return undefined;
    route = new URL(page.next);
  }
  return undefined;
}
