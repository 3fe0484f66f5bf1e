/**
 * Creating a prediction without ever paying twice. Creates go through the rate limiter and carry
 * `Prefer: wait=N` (and `Cancel-After` when the step has a time limit). A create whose outcome is unknown
 * (network error after sending, 5xx, unreadable answer) is not re-sent blindly: recent predictions are
 * listed (walking pages) and a match — same input, created after the create was sent, same version for a
 * community model (never the same `model`: official models answer under other names) — is adopted. Only
 * when none is found is the create sent again. A 429 is waited out and retried (the limiter learns from
 * every create's reply through the transport, see rate-limiter.ts).
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
  /** `owner/name`: created through `POST /deployments/{owner}/{name}/predictions` (no version sent). */
  deployment?: string | undefined;
  /** Prepared input: files already turned into URLs. */
  input: Record<string, unknown>;
  /** `Prefer: wait=N` (clamped to 1..60); 0 creates without waiting. */
  waitSeconds: number;
  cancelAfterSeconds?: number | undefined;
  webhookUrl?: string | undefined;
  signal: AbortSignal;
  /** Prediction ids this provider already owns: never adopted a second time. */
  claimed: Set<string>;
  /** Skew allowance when the server sends no `Date` (default 2 minutes; see `FindOptions`). */
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
  if (options.deployment !== undefined) {
    route = `/deployments/${options.deployment}/predictions`;
  } else if (options.version === undefined) {
    route = `/models/${options.model}/predictions`;
  } else {
    route = '/predictions';
    body.version = options.version;
  }
  const startedAt = time.clock();

  for (let attempt = 0; ; attempt++) {
    const { probe } = await limiter.acquire(options.signal);
    try {
      const response = await sdk.request(route, {
        method: 'POST',
        // The run's first create comes back at once: its rate headers pace the others (rate-limiter.ts).
        headers: probe ? withoutWait(headers) : headers,
        data: body,
        signal: options.signal,
      });
      const prediction = await readPrediction(response);
      options.claimed.add(prediction.id);
      return { prediction, adopted: false };
    } catch (err) {
      if (options.signal.aborted || !(err instanceof TransportError) || !err.retryable) throw err;
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

function withoutWait(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'Prefer'));
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
  /** `owner/name` (for messages only: a prediction's `model` is never compared, see below). */
  model: string;
  /** The community model's version; absent for official models. */
  version?: string | undefined;
  /** The input the create sent (compared with `inputsMatch` unless `matches` is given). */
  input: Record<string, unknown>;
  signal: AbortSignal;
  /** Ids already owned by a task of this provider: skipped; the one found is added before returning. */
  claimed: Set<string>;
  /** When the create (or its journalled intent) started, on the local clock (ms). */
  since: number;
  /**
   * Used only when the server's reply has no `Date` header: then candidates may be this much older than
   * `since` on the local clock (default 2 minutes, for clock skew).
   */
  lookbackMs?: number | undefined;
  /** Compares the echoed input (async: file contents may have to be looked up). */
  matches?: ((echoed: unknown) => Promise<boolean>) | undefined;
  /** Extra condition on a candidate (e.g. not canceled). */
  usable?: ((prediction: Prediction) => boolean) | undefined;
}

/** Slack on the server-time bound: `Date` has whole seconds, created_at comes from another machine. */
const CLOCK_SLACK_MS = 1_000;
/** Listing stops at the first prediction this much older than the bound (lists are newest first). */
const ORDER_SLACK_MS = 60_000;

/** Server time minus local time, from a reply's `Date` header (undefined without a readable one). */
function serverOffset(response: Response, localNow: number): number | undefined {
  const date = Date.parse(response.headers.get('date') ?? '');
  return Number.isNaN(date) ? undefined : date - localNow;
}

/**
 * The prediction an unknown-outcome create may have made, matched only on what Replicate echoes
 * faithfully: the same input, a creation time after the create started (`since`, moved onto the server's
 * clock with the offset its `Date` header shows, so a skewed local clock neither hides it nor lets an
 * older one in), and for community models the same version. Never on `model`: official models answer
 * under internal names with `dp-…` deployment versions (reference §14). Listed newest first until the
 * predictions are older than that; pages are followed only on the API's own origin (the token goes with
 * them). The one found is claimed at once, so two tasks looking at the same time never both get it.
 */
export async function findRecentPrediction(
  ctx: ProviderContext,
  options: FindOptions,
  errCtx: ErrorContext,
): Promise<Prediction | undefined> {
  const matches = options.matches ?? (async (echoed: unknown) => inputsMatch(options.input, echoed));
  let earliest: number | undefined;
  let route: string | URL = '/predictions';
  for (let pageNo = 0; pageNo < 20; pageNo++) {
    const current = route;
    const { page, offset } = await callWithRetries(
      ctx,
      'listing recent predictions',
      errCtx,
      options.signal,
      async () => {
        const response = await ctx.sdk.request(current, { method: 'GET', signal: options.signal });
        return { page: (await response.json()) as Page, offset: serverOffset(response, ctx.time.clock()) };
      },
    );
    earliest ??=
      offset === undefined
        ? options.since - (options.lookbackMs ?? 120_000)
        : options.since + offset - CLOCK_SLACK_MS;
    let older = false;
    for (const item of page.results ?? []) {
      const p = item as Prediction;
      if (typeof p?.id !== 'string') continue;
      const created = p.created_at ? Date.parse(p.created_at) : Number.NaN;
      if (created < earliest - ORDER_SLACK_MS) older = true;
      // Made before the create was sent (or of unknown age): not the one it made.
      if (Number.isNaN(created) || created < earliest) continue;
      if (options.claimed.has(p.id) || p.source === 'web') continue;
      if (options.version !== undefined && p.version !== options.version) continue;
      if ((options.usable && !options.usable(p)) || !(await matches(p.input))) continue;
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
