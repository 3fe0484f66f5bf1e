/**
 * A small, scriptable stand-in for the Replicate API used by the provider's unit tests (the fuller fake
 * lives in test/fake-replicate). Real HTTP on 127.0.0.1; it keeps predictions, answers creates, gets,
 * lists (newest first, `created_after`, absolute `next`), cancels, uploads, output files and SSE
 * streams, and can inject the faults a test asks for.
 */
import type { ServerResponse } from 'node:http';
import { json, type RecordedRequest, reset, startServer, type TestServer } from './helpers.js';

export type CreateFault =
  | { kind: 'reset-before' }
  | { kind: 'reset-after' }
  | { kind: 'status-after'; status: number }
  | { kind: 'throttle'; retryAfter?: string; bodyRetryAfter?: number };

export type FileFault = 'truncate' | 'reset' | 'not-found' | 'server-error';

export interface StoredPrediction {
  body: Record<string, unknown>;
  /** Statuses for the following GETs; the last one sticks. */
  plan: Array<Record<string, unknown>>;
  gets: number;
  createdAt: number;
}

export interface MiniOptions {
  /** Fields for a new prediction's create answer and its GET plan. */
  script?: (
    input: Record<string, unknown>,
    req: RecordedRequest,
  ) => {
    create: Record<string, unknown>;
    plan?: Array<Record<string, unknown>>;
  };
  clock?: () => number;
  pageSize?: number;
  /** Hold the create for this many real ms (an open `Prefer: wait`). */
  createDelayMs?: number;
}

export interface MiniReplicate {
  server: TestServer;
  base: string;
  api: string;
  predictions: Map<string, StoredPrediction>;
  createFaults: CreateFault[];
  files: Map<string, { bytes: Buffer; type: string; faults: FileFault[] }>;
  streams: Map<string, { events: string[]; breakAfter?: number }>;
  uploads: Array<{ size: number; body: Buffer }>;
  addFile(name: string, bytes: Buffer, type: string, faults?: FileFault[]): string;
  creates(): number;
  close(): Promise<void>;
}

export async function startMiniReplicate(options: MiniOptions = {}): Promise<MiniReplicate> {
  const predictions = new Map<string, StoredPrediction>();
  const createFaults: CreateFault[] = [];
  const files = new Map<string, { bytes: Buffer; type: string; faults: FileFault[] }>();
  const streams = new Map<string, { events: string[]; breakAfter?: number }>();
  const uploads: Array<{ size: number; body: Buffer }> = [];
  const now = () => options.clock?.() ?? Date.now();
  let seq = 0;
  let base = '';

  const view = (p: StoredPrediction): Record<string, unknown> => p.body;

  const create = (req: RecordedRequest): StoredPrediction => {
    const data = JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
    const input = (data.input ?? {}) as Record<string, unknown>;
    const id = `p${String(++seq).padStart(25, '0')}`;
    const official = req.path.startsWith('/v1/models/');
    const model = official ? req.path.slice('/v1/models/'.length, -'/predictions'.length) : 'community/model';
    const scripted = options.script?.(input, req) ?? { create: { status: 'starting' } };
    const body: Record<string, unknown> = {
      id,
      model,
      version: official ? 'hidden' : data.version,
      input,
      output: null,
      logs: '',
      error: null,
      status: 'starting',
      source: 'api',
      data_removed: false,
      created_at: new Date(now()).toISOString(),
      urls: { get: `${base}/v1/predictions/${id}`, cancel: `${base}/v1/predictions/${id}/cancel` },
      ...(data.webhook ? { webhook: data.webhook, webhook_events_filter: data.webhook_events_filter } : {}),
      ...scripted.create,
    };
    if (streams.has('*')) {
      streams.set(id, streams.get('*') as { events: string[] });
      (body.urls as Record<string, string>).stream = `${base}/stream/${id}`;
    }
    const stored: StoredPrediction = { body, plan: scripted.plan ?? [], gets: 0, createdAt: now() };
    predictions.set(id, stored);
    return stored;
  };

  const sendFile = (res: ServerResponse, raw: Parameters<typeof reset>[0], name: string) => {
    const file = files.get(name);
    if (!file) return json(res, 404, { detail: 'Not found' });
    const fault = file.faults.shift();
    if (fault === 'not-found') return json(res, 404, { detail: 'File not found' });
    if (fault === 'server-error') return json(res, 502, { detail: 'bad gateway' });
    if (fault === 'reset') return reset(raw);
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.bytes.length });
    if (fault === 'truncate') {
      res.write(file.bytes.subarray(0, Math.floor(file.bytes.length / 2)));
      setTimeout(() => raw.socket.destroy(), 5);
      return;
    }
    res.end(file.bytes);
  };

  const server = await startServer(async (req, res, raw) => {
    const { method, path } = req;
    if (
      method === 'POST' &&
      (path === '/v1/predictions' || /^\/v1\/models\/[^/]+\/[^/]+\/predictions$/.test(path))
    ) {
      if (options.createDelayMs) await new Promise((r) => setTimeout(r, options.createDelayMs));
      const fault = createFaults.shift();
      if (fault?.kind === 'reset-before') return reset(raw);
      if (fault?.kind === 'throttle') {
        const headers: Record<string, string> = fault.retryAfter ? { 'retry-after': fault.retryAfter } : {};
        return json(
          res,
          429,
          { detail: 'Request was throttled.', status: 429, retry_after: fault.bodyRetryAfter },
          headers,
        );
      }
      const stored = create(req);
      if (fault?.kind === 'reset-after') return reset(raw);
      if (fault?.kind === 'status-after') return json(res, fault.status, { detail: 'upstream error' });
      return json(res, 201, view(stored));
    }
    if (method === 'GET' && path === '/v1/predictions') {
      const after = req.url.searchParams.get('created_after');
      const cursor = Number(req.url.searchParams.get('cursor') ?? 0);
      const all = [...predictions.values()]
        .filter((p) => after === null || p.createdAt >= Date.parse(after))
        .sort((a, b) => b.createdAt - a.createdAt);
      const size = options.pageSize ?? 100;
      const page = all.slice(cursor, cursor + size);
      const next = cursor + size < all.length ? `${base}/v1/predictions?cursor=${cursor + size}` : null;
      return json(res, 200, { previous: null, next, results: page.map(view) });
    }
    const get = /^\/v1\/predictions\/([^/]+)$/.exec(path);
    if (method === 'GET' && get) {
      const stored = predictions.get(get[1] ?? '');
      if (!stored) return json(res, 404, { detail: 'Not found' });
      const step = stored.plan[Math.min(stored.gets, stored.plan.length - 1)];
      stored.gets++;
      if (step) Object.assign(stored.body, step);
      return json(res, 200, view(stored));
    }
    const cancel = /^\/v1\/predictions\/([^/]+)\/cancel$/.exec(path);
    if (method === 'POST' && cancel) {
      const stored = predictions.get(cancel[1] ?? '');
      if (!stored) return json(res, 404, { detail: 'Not found' });
      if (!['succeeded', 'failed', 'canceled', 'aborted'].includes(String(stored.body.status))) {
        stored.body.status = 'canceled';
        stored.plan = [];
      }
      return json(res, 200, view(stored));
    }
    if (method === 'POST' && path === '/v1/files') {
      uploads.push({ size: req.body.length, body: req.body });
      const id = `f${uploads.length}`;
      return json(res, 201, {
        id,
        content_type: 'application/octet-stream',
        size: req.body.length,
        urls: { get: `${base}/v1/files/${id}` },
      });
    }
    const model = /^\/v1\/models\/([^/]+)\/([^/]+)$/.exec(path);
    if (method === 'GET' && model) {
      const official = model[1] === 'black-forest-labs' || model[1] === 'meta';
      return json(res, 200, {
        owner: model[1],
        name: model[2],
        is_official: official,
        latest_version: official ? null : { id: 'a'.repeat(64), created_at: '2025-01-01T00:00:00Z' },
      });
    }
    if (method === 'GET' && path === '/v1/webhooks/default/secret') {
      return json(res, 200, { key: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
    }
    if (method === 'GET' && path.startsWith('/out/')) return sendFile(res, raw, path.slice('/out/'.length));
    const stream = /^\/stream\/(.+)$/.exec(path);
    if (method === 'GET' && stream) {
      const spec = streams.get(stream[1] ?? '');
      if (!spec) return json(res, 404, { detail: 'no stream' });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const [i, event] of spec.events.entries()) {
        if (spec.breakAfter !== undefined && i >= spec.breakAfter) {
          raw.socket.destroy();
          return;
        }
        res.write(event);
        await new Promise((r) => setTimeout(r, 1));
      }
      res.end();
      return;
    }
    json(res, 404, { detail: `no route ${method} ${path}` });
  }, options.clock);
  base = server.url;

  return {
    server,
    base,
    api: `${base}/v1`,
    predictions,
    createFaults,
    files,
    streams,
    uploads,
    addFile(name, bytes, type, faults = []) {
      files.set(name, { bytes, type, faults });
      return `${base}/out/${name}`;
    },
    creates: () =>
      server.requests.filter(
        (r) => r.method === 'POST' && /\/predictions$/.test(r.path) && !r.path.endsWith('/cancel'),
      ).length,
    close: () => server.close(),
  };
}

/** One SSE event as the API writes it. */
export function sse(event: string, data: string, id: string): string {
  return `event: ${event}\nid: ${id}\n${data
    .split('\n')
    .map((line) => `data: ${line}`)
    .join('\n')}\n\n`;
}
