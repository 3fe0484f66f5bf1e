/**
 * The predictions API: create (by version, official model or deployment), get, cancel, list — with `Prefer: wait`,
 * `Cancel-After`, webhooks and Replicate's 422 bodies.
 */
import { EventEmitter } from 'node:events';
import type { BehaviourBook } from './behaviour.js';
import type { DeploymentSet } from './deployments.js';
import { jsonReply, newId, notFound, parseJsonObject, problem, type Reply } from './http.js';
import { type EngineContext, finish, runPrediction, watchDeadline } from './lifecycle.js';
import type { FakeModel, FakeVersion, ModelRegistry } from './models.js';
import { type PredictionState, type PredictionStore, TERMINAL, waitUntil } from './predictions.js';
import type { ReplyProfile, WebhookEvent } from './types.js';
import { type InvalidField, invalidDetail } from './validation.js';
import { DEFAULT_EVENTS } from './webhooks.js';

export interface PredictionsApiDeps {
  registry: ModelRegistry;
  deployments: DeploymentSet;
  store: PredictionStore;
  behaviours: BehaviourBook;
  engine: EngineContext;
  toJson(state: PredictionState): Record<string, unknown>;
  /** The answer to a create held open by `Prefer: wait`. */
  toSyncJson(state: PredictionState): Record<string, unknown>;
  profile: ReplyProfile;
  /** Runs a background task (tracked for close/idle). */
  spawn(task: Promise<void>): void;
  pageSize: number;
  maxWaitMs: number;
  /** Aborted when the server closes. */
  closing: AbortSignal;
}

export interface CreateRequest {
  body: Buffer;
  prefer: string | undefined;
  cancelAfter: string | undefined;
  /** `owner/name` when created through `POST /models/{owner}/{name}/predictions`. */
  officialRef?: string;
  /** `owner/name` when created through `POST /deployments/{owner}/{name}/predictions`. */
  deploymentRef?: string;
}

const VERSION_ERROR = {
  title: 'Invalid version or not permitted',
  detail: "The specified version does not exist (or perhaps you don't have permission to use it?)",
};

const invalid = (fields: InvalidField[]): Reply =>
  problem(422, invalidDetail(fields), { title: 'Input validation failed', invalid_fields: fields });

/** `wait` → 60, `wait=N` → N (clamped to 1–60); undefined when there is no wait preference. */
export function parsePrefer(header: string | undefined): { seconds: number; echo: string } | undefined {
  for (const part of (header ?? '').split(',')) {
    const match = /^\s*wait(?:=(\d+))?\s*$/.exec(part);
    if (!match) continue;
    const seconds = match[1] === undefined ? 60 : Math.min(60, Math.max(1, Number(match[1])));
    return { seconds, echo: match[1] === undefined ? 'wait' : `wait=${match[1]}` };
  }
  return undefined;
}

/** `30s`, `1m30s`, `1h30m45s`, bare seconds → ms; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(value);
  if (!match || value === '') return undefined;
  const [, h = '0', m = '0', s = '0'] = match;
  return (Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000;
}

interface Resolved {
  model: FakeModel;
  version: FakeVersion;
  /** `version` as the prediction reports it. */
  reported: string;
  /** `model` as the prediction reports it. */
  reportedModel: string;
  /** The deployment it was created through. */
  deployment?: string;
}

/** An official model runs its latest version and reports a deployment (`hidden` in the documented profile). */
function official(deps: PredictionsApiDeps, model: FakeModel): Resolved {
  const recorded = deps.profile === 'recorded';
  return {
    model,
    version: model.latest,
    reported: recorded ? model.deployment : 'hidden',
    reportedModel: recorded ? model.servedAs : model.ref,
  };
}

function resolveModel(
  deps: PredictionsApiDeps,
  body: Record<string, unknown>,
  officialRef: string | undefined,
  deploymentRef: string | undefined,
): Resolved | Reply {
  const notPermitted = () => problem(422, VERSION_ERROR.detail, { title: VERSION_ERROR.title });
  if (deploymentRef !== undefined) {
    // The release's model and version answer, as a prediction of that version would.
    const deployment = deps.deployments.get(deploymentRef);
    if (deployment === undefined) return notFound();
    if (body.version !== undefined) {
      return invalid([
        {
          type: 'additional_property',
          field: 'version',
          description: 'Additional property version is not allowed',
        },
      ]);
    }
    const { model, version } = deployment;
    return { model, version, reported: version.id, reportedModel: model.ref, deployment: deploymentRef };
  }
  if (officialRef !== undefined) {
    const model = deps.registry.byRef(officialRef);
    if (model === undefined) return notFound();
    return model.official ? official(deps, model) : notPermitted();
  }
  const version = body.version;
  if (typeof version !== 'string' || version === '') {
    return invalid([{ type: 'required', field: 'version', description: 'version is required' }]);
  }
  const match = /^(?:([^/:]+\/[^/:]+)(?::(.+))?|([0-9a-f]{64}))$/.exec(version);
  const [, ref, refVersion, bare] = match ?? [];
  if (bare !== undefined || refVersion !== undefined) {
    const found = deps.registry.byVersion(bare ?? refVersion ?? '');
    if (found !== undefined && (ref === undefined || ref === found.model.ref)) {
      return { ...found, reported: found.version.id, reportedModel: found.model.ref };
    }
  } else if (ref !== undefined) {
    const model = deps.registry.byRef(ref);
    if (model?.official) return official(deps, model);
  }
  return notPermitted();
}

function webhookFields(body: Record<string, unknown>): InvalidField[] {
  const fields: InvalidField[] = [];
  if (body.webhook !== undefined) {
    if (typeof body.webhook !== 'string' || !URL.canParse(body.webhook)) {
      fields.push({ type: 'format', field: 'webhook', description: 'Does not match format uri' });
    }
  }
  const filter = body.webhook_events_filter;
  if (filter !== undefined) {
    const ok = Array.isArray(filter) && filter.every((e) => DEFAULT_EVENTS.includes(e as WebhookEvent));
    if (!ok)
      fields.push({ type: 'enum', field: 'webhook_events_filter', description: 'Invalid webhook event' });
  }
  return fields;
}

export async function createPrediction(deps: PredictionsApiDeps, request: CreateRequest): Promise<Reply> {
  const body = parseJsonObject(request.body);
  if (body === undefined) return problem(400, 'Request body must be a JSON object');
  const resolved = resolveModel(deps, body, request.officialRef, request.deploymentRef);
  if ('kind' in resolved) return resolved;
  const { model, version, reported, reportedModel, deployment } = resolved;
  if (typeof body.input !== 'object' || body.input === null || Array.isArray(body.input)) {
    return invalid([{ type: 'required', field: '(root)', description: 'input is required' }]);
  }
  const input = body.input as Record<string, unknown>;
  const fields = [...version.validate(input), ...webhookFields(body)];
  if (fields.length > 0) return invalid(fields);
  let deadlineMs: number | undefined;
  if (request.cancelAfter !== undefined) {
    deadlineMs = parseDuration(request.cancelAfter);
    if (deadlineMs === undefined || deadlineMs < 5000) {
      return problem(422, 'Cancel-After must be a duration of at least 5s, like 30s, 1m30s or 1h', {
        title: 'Invalid Cancel-After header',
      });
    }
  }

  const { engine } = deps;
  const now = engine.clock.now();
  const state: PredictionState = {
    id: newId(),
    seq: deps.store.nextSeq(),
    model,
    modelVersion: version,
    reportedModel,
    version: reported,
    input,
    status: 'starting',
    output: null,
    logs: '',
    error: null,
    createdAt: now,
    files: new Map(),
    events: [],
    abort: new AbortController(),
    settled: new AbortController(),
    emitter: new EventEmitter(),
    ...(deployment === undefined ? {} : { deployment }),
  };
  state.emitter.setMaxListeners(0);
  const streams = deps.behaviours.get(model.ref).stream ?? (deps.profile === 'recorded' || version.iterator);
  if (streams) state.streamToken = newId(32);
  if (typeof body.webhook === 'string') {
    state.webhook = body.webhook;
    state.webhookEventsFilter = (body.webhook_events_filter as WebhookEvent[] | undefined) ?? [
      ...DEFAULT_EVENTS,
    ];
  }
  if (deadlineMs !== undefined) state.deadline = now + engine.clock.toClock(deadlineMs);
  deps.store.add(state);
  const plan = deps.behaviours.plan(model.ref, input);
  deps.spawn(runPrediction(state, engine, plan));
  if (deadlineMs !== undefined) watchDeadline(state, engine, deadlineMs);

  const prefer = parsePrefer(request.prefer);
  const headers: Record<string, string> = {};
  if (prefer !== undefined) {
    headers['preference-applied'] = prefer.echo;
    const timeout = new AbortController();
    const stopTimer = AbortSignal.any([state.settled.signal, deps.closing]);
    void engine.clock
      .sleep(Math.min(prefer.seconds * 1000, deps.maxWaitMs), stopTimer)
      .then(() => timeout.abort());
    const ready = (s: PredictionState) =>
      TERMINAL.has(s.status) || (!s.modelVersion.iterator && s.output !== null && s.files.size > 0);
    await waitUntil(state, ready, AbortSignal.any([timeout.signal, deps.closing]));
    return jsonReply(201, deps.toSyncJson(state), headers);
  }
  return jsonReply(201, deps.toJson(state), headers);
}

export function getPrediction(deps: PredictionsApiDeps, id: string): Reply {
  const state = deps.store.get(id);
  return state === undefined ? notFound() : jsonReply(200, deps.toJson(state));
}

export function cancelPrediction(deps: PredictionsApiDeps, id: string): Reply {
  const state = deps.store.get(id);
  if (state === undefined) return notFound();
  if (!TERMINAL.has(state.status)) {
    state.cancelReason = 'cancel';
    finish(state, deps.engine, 'canceled');
  }
  return jsonReply(200, deps.toJson(state));
}
