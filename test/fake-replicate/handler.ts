/**
 * One HTTP request, end to end: route → count → fault → latency → auth → rate limit → body → handler →
 * write (with the fault's effect on the wire: reset, truncation, trickle).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ScaledClock } from './clock.js';
import type { FaultPlan } from './faults.js';
import {
  BodyTooLarge,
  checkAuth,
  headerValue,
  notFound,
  problem,
  type Reply,
  readBody,
  throttled,
  unauthenticated,
} from './http.js';
import type { RateLimiter } from './rate-limit.js';
import { matchRoute, type RouteDeps } from './routes.js';
import type { Counts, RequestFault } from './types.js';

export interface HandlerDeps {
  origin: string;
  token: () => string;
  faults: FaultPlan;
  counts: Counts;
  limiter: RateLimiter;
  clock: ScaledClock;
  latencyMs: number;
  routes: RouteDeps;
  maxBodyBytes: number;
  closing: AbortSignal;
}

export function createRequestHandler(deps: HandlerDeps) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(deps, req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      const message = error instanceof Error ? error.message : String(error);
      void write(deps, res, problem(500, `fake replicate bug: ${message}`), {}, undefined);
    });
  };
}

async function handle(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', deps.origin);
  const route = matchRoute(deps.routes, method, url.pathname);
  deps.counts[route.kind] += 1;
  deps.counts.total += 1;
  const fault = deps.faults.takeForRequest({
    kind: route.kind,
    method,
    url: `${url.pathname}${url.search}`,
    headers: req.headers,
  });
  const latency = deps.latencyMs + (fault?.type === 'latency' ? fault.ms : 0);
  if (latency > 0) await deps.clock.sleep(latency, deps.closing);
  if (fault?.type === 'reset-before') return void req.socket.destroy();

  const { headers: rateHeaders, throttled: limited } = deps.limiter.take(
    route.kind === 'create' || route.kind === 'deploymentCreate' ? 'create' : 'other',
  );
  const early = earlyReply(deps, route.auth, req, fault, limited);
  if (early !== undefined) {
    req.resume();
    return write(deps, res, early, rateHeaders, undefined);
  }

  let body: Buffer = Buffer.alloc(0);
  if (route.body) {
    try {
      body = await readBody(req, deps.maxBodyBytes);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      return write(deps, res, problem(413, 'Files must be less than 100MB in size'), rateHeaders, undefined);
    }
  } else {
    req.resume();
  }
  const reply = await route.handle({ url, body, header: (name) => headerValue(req, name) });
  if (fault?.type === 'reset-after') return void req.socket.destroy();
  return write(deps, res, reply, rateHeaders, fault);
}

function earlyReply(
  deps: HandlerDeps,
  needsAuth: boolean,
  req: IncomingMessage,
  fault: RequestFault | undefined,
  limited: Reply | undefined,
): Reply | undefined {
  if (fault?.type === 'status') {
    const detail = fault.status >= 500 ? 'Internal Server Error' : 'Request failed';
    return problem(fault.status, String(fault.body?.detail ?? detail), fault.body ?? {});
  }
  if (fault?.type === 'rate-limit') {
    return throttled(fault.retryAfter ?? 1, fault.header ?? true, fault.body ?? true);
  }
  if (fault?.type === 'expired') return notFound();
  if (needsAuth) {
    const auth = checkAuth(headerValue(req, 'authorization'), deps.token());
    if (auth !== 'ok') return unauthenticated(auth);
  }
  return limited;
}

async function write(
  deps: HandlerDeps,
  res: ServerResponse,
  reply: Reply,
  extraHeaders: Record<string, string>,
  fault: RequestFault | undefined,
): Promise<void> {
  // `Date` on the server's clock (a manual or scaled clock too), as clients may read the server's time.
  const headers = { date: new Date(deps.clock.now()).toUTCString(), ...extraHeaders, ...reply.headers };
  if (reply.kind === 'stream') {
    res.writeHead(reply.status, headers);
    res.flushHeaders();
    if (fault?.type === 'truncate') breakOffAfter(res, fault.bytes ?? 64);
    return reply.run(res, deps.closing);
  }
  const body = reply.body;
  res.writeHead(reply.status, { ...headers, 'content-length': String(body.length) });
  if (fault?.type === 'truncate') {
    const bytes = Math.min(body.length - 1, Math.max(0, fault.bytes ?? Math.floor(body.length / 2)));
    res.write(body.subarray(0, bytes), () => setImmediate(() => res.destroy()));
    return;
  }
  if (fault?.type === 'slow') {
    const chunk = Math.max(1, fault.chunkBytes ?? 1024);
    for (let offset = 0; offset < body.length; offset += chunk) {
      if (res.destroyed) return;
      res.write(body.subarray(offset, offset + chunk));
      await deps.clock.sleep(fault.intervalMs ?? 10, deps.closing);
    }
    res.end();
    return;
  }
  res.end(body);
}

/** A long-lived reply (SSE) breaks off: the connection dies once `bytes` of its body have gone out. */
function breakOffAfter(res: ServerResponse, bytes: number): void {
  let sent = 0;
  const write = res.write.bind(res) as (chunk: Buffer) => boolean;
  res.write = ((chunk: string | Uint8Array) => {
    if (res.destroyed || sent >= bytes) return false;
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    const room = bytes - sent;
    sent += Math.min(room, buffer.length);
    if (buffer.length < room) return write(buffer);
    write(buffer.subarray(0, room));
    setImmediate(() => res.destroy());
    return false;
  }) as ServerResponse['write'];
}
