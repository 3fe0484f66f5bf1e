/**
 * Runs one prediction through Replicate's lifecycle on the server's clock:
 * `starting` (queue + cold boot) → `processing` (`started_at`, logs grow, LLM tokens stream) → outputs
 * exist (still `processing` for `finalizeMs`) → `succeeded` | `failed`; `cancel()` and the `Cancel-After`
 * deadline end it as `canceled` (running) or `aborted` (deadline before start).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PredictionPlan } from './behaviour.js';
import type { BusyTracker, ScaledClock } from './clock.js';
import { extensionFor, type InputResolver, materialiseInputs } from './inputs.js';
import { tokenize } from './outputs.js';
import { changed, type PredictionState, pushSse, TERMINAL } from './predictions.js';
import type { MadeOutputs, MakeOutputs, PredictionStatus, ReplyProfile, WebhookEvent } from './types.js';

export interface EngineContext {
  clock: ScaledClock;
  busy: BusyTracker;
  resolver: InputResolver;
  origin: string;
  profile: ReplyProfile;
  outputMode: 'url' | 'data-uri';
  dataUriType: 'file' | 'octet-stream';
  workRoot: string;
  makerFor(ref: string): MakeOutputs;
  notify(state: PredictionState, event: WebhookEvent): void;
}

const isDone = (state: PredictionState): boolean => TERMINAL.has(state.status);

function appendLog(state: PredictionState, ctx: EngineContext, line: string): void {
  state.logs += `${line}\n`;
  if (state.streamToken !== undefined) pushSse(state, 'logs', line);
  changed(state);
  ctx.notify(state, 'logs');
}

/** Ends the prediction (no-op when already terminal). Safe to call from cancel, deadline or the run. */
export function finish(
  state: PredictionState,
  ctx: EngineContext,
  status: Exclude<PredictionStatus, 'starting' | 'processing'>,
  extra: { error?: string; predictMs?: number; metrics?: Record<string, number> } = {},
): void {
  if (isDone(state)) return;
  const now = ctx.clock.now();
  state.status = status;
  state.completedAt = now;
  if (extra.error !== undefined) state.error = extra.error;
  const metrics: Record<string, number> = { ...extra.metrics };
  if (state.startedAt !== undefined) {
    const predictMs = extra.predictMs ?? ctx.clock.toSimulated(now - state.startedAt);
    metrics.predict_time = round(predictMs / 1000);
  }
  metrics.total_time = round(ctx.clock.toSimulated(now - state.createdAt) / 1000);
  state.metrics = metrics;
  if (status !== 'succeeded') state.abort.abort(status);
  if (state.streamToken !== undefined) {
    if (status === 'failed') pushSse(state, 'error', JSON.stringify({ detail: state.error }));
    pushSse(
      state,
      'done',
      status === 'succeeded' || status === 'failed' ? '{}' : JSON.stringify({ reason: status }),
    );
  }
  state.settled.abort();
  changed(state);
  ctx.notify(state, 'completed');
}

const round = (n: number): number => Math.round(n * 1e6) / 1e6;

function progressLine(step: number, steps: number): string {
  const pct = Math.round((step / steps) * 100);
  const filled = Math.round((step / steps) * 10);
  return `${String(pct).padStart(3)}%|${'█'.repeat(filled)}${' '.repeat(10 - filled)}| ${step}/${steps} [00:00<00:00, 4.00it/s]`;
}

function outputValue(
  state: PredictionState,
  ctx: EngineContext,
  made: MadeOutputs,
  plan: PredictionPlan,
): unknown {
  const shape = state.modelVersion.output;
  if ('text' in made) return shape === 'text' ? made.text : tokenize(made.text);
  const count = plan.outputCount ?? made.files.length;
  const values: string[] = [];
  for (let i = 0; i < count && made.files.length > 0; i += 1) {
    const body = made.files[i % made.files.length] as Buffer;
    const name = `out-${i}.${extensionFor(made.contentType)}`;
    state.files.set(name, { body, contentType: made.contentType });
    const type = ctx.dataUriType === 'octet-stream' ? 'application/octet-stream' : made.contentType;
    values.push(
      ctx.outputMode === 'data-uri'
        ? `data:${type};base64,${body.toString('base64')}`
        : `${ctx.origin}/files-delivery/${state.id}/${name}`,
    );
  }
  if (shape === 'file-object') return objectOfFiles(state.modelVersion.outputSchema, values);
  return shape === 'file' ? (values[0] ?? null) : values;
}

/** An object output: each `format: uri` property gets the next file, each list of them the rest. */
function objectOfFiles(schema: Record<string, unknown>, values: string[]): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, { format?: string; type?: string }>;
  const out: Record<string, unknown> = {};
  let next = 0;
  for (const [key, prop] of Object.entries(properties)) {
    if (prop.format === 'uri' && next < values.length) out[key] = values[next++];
    else if (prop.type === 'array') out[key] = values.slice(next);
  }
  return out;
}

/** Starts the deadline watcher of a `Cancel-After` create. */
export function watchDeadline(state: PredictionState, ctx: EngineContext, simulatedMs: number): void {
  void ctx.clock.sleep(simulatedMs, state.settled.signal).then(() => {
    if (isDone(state)) return;
    state.cancelReason = 'deadline';
    finish(state, ctx, state.status === 'starting' ? 'aborted' : 'canceled');
  });
}

export async function runPrediction(
  state: PredictionState,
  ctx: EngineContext,
  plan: PredictionPlan,
): Promise<void> {
  const signal = state.abort.signal;
  const stopped = () => isDone(state) || signal.aborted;
  const { clock } = ctx;
  await clock.sleep(plan.startingMs, signal);
  if (stopped()) return;

  state.status = 'processing';
  state.startedAt = clock.now();
  changed(state);
  ctx.notify(state, 'start');
  if (state.input.seed !== undefined) appendLog(state, ctx, `Using seed: ${String(state.input.seed)}`);

  const workDir = join(ctx.workRoot, state.id);
  const work = ctx.busy.track(
    (async (): Promise<MadeOutputs | undefined> => {
      if (plan.failWith !== undefined) return undefined;
      await mkdir(workDir, { recursive: true });
      const version = state.modelVersion;
      const input = await materialiseInputs(
        version.withDefaults(state.input),
        version.inputSchema,
        workDir,
        ctx.resolver,
        signal,
      );
      const maker = ctx.makerFor(state.model.ref);
      return maker({
        model: state.model.ref,
        catalog: version.catalog,
        input,
        workDir,
        predictionId: state.id,
        signal,
      });
    })(),
  );
  work.catch(() => undefined);

  const iterator = state.modelVersion.iterator;
  if (iterator && plan.failWith === undefined) {
    await streamTokens(state, ctx, plan, work);
  } else {
    for (let step = 1; step <= plan.logSteps; step += 1) {
      await clock.sleep(plan.runMs / plan.logSteps, signal);
      if (stopped()) return;
      appendLog(state, ctx, progressLine(step, plan.logSteps));
    }
  }
  if (stopped()) return;
  if (plan.failWith !== undefined)
    return finish(state, ctx, 'failed', { error: plan.failWith, predictMs: plan.runMs });

  let made: MadeOutputs | undefined;
  try {
    made = await work;
  } catch (error) {
    return finish(state, ctx, 'failed', { error: error instanceof Error ? error.message : String(error) });
  }
  if (stopped() || made === undefined) return;
  if (!iterator) {
    state.output = outputValue(state, ctx, made, plan);
    if (state.streamToken !== undefined) streamFiles(state);
    changed(state);
    ctx.notify(state, 'output');
    if (plan.finalizeMs > 0) await clock.sleep(plan.finalizeMs, signal);
    if (stopped()) return;
  }
  finish(state, ctx, 'succeeded', {
    predictMs: plan.runMs + plan.finalizeMs,
    metrics: billingUnits(state, made, plan.runMs),
  });
}

async function streamTokens(
  state: PredictionState,
  ctx: EngineContext,
  plan: PredictionPlan,
  work: Promise<MadeOutputs | undefined>,
): Promise<void> {
  let made: MadeOutputs | undefined;
  try {
    made = await work;
  } catch {
    return; // reported as a failure by the caller
  }
  const tokens = made !== undefined && 'text' in made ? tokenize(made.text) : [];
  const output: string[] = [];
  state.output = output;
  for (const token of tokens) {
    await ctx.clock.sleep(plan.runMs / Math.max(1, tokens.length), state.abort.signal);
    if (isDone(state) || state.abort.signal.aborted) return;
    output.push(token);
    pushSse(state, 'output', token);
    changed(state);
    ctx.notify(state, 'output');
  }
}

/** A file model's stream (recorded profile): one `output` event per file URL. */
function streamFiles(state: PredictionState): void {
  const output = state.output;
  const values = Array.isArray(output)
    ? output
    : typeof output === 'object' && output !== null
      ? Object.values(output)
      : [output];
  for (const value of values.flat()) if (typeof value === 'string') pushSse(state, 'output', value);
}

function billingUnits(state: PredictionState, made: MadeOutputs, runMs: number): Record<string, number> {
  if (!state.model.official) return {};
  if ('text' in made) {
    const prompt = typeof state.input.prompt === 'string' ? state.input.prompt : '';
    const outputTokens = tokenize(made.text).length;
    return {
      input_token_count: tokenize(prompt).length,
      output_token_count: outputTokens,
      tokens_per_second: runMs > 0 ? round(outputTokens / (runMs / 1000)) : outputTokens,
    };
  }
  return { image_count: state.files.size };
}
