/**
 * The route table: which request kind a method + path is, whether it needs the token, and its handler.
 * Everything lives under `/v1` except output delivery (`/files-delivery/<prediction>/<file>`).
 */
import type { DeploymentsApi } from './deployments.js';
import type { FilesApi } from './files-api.js';
import { jsonReply, notFound, type Reply } from './http.js';
import type { ModelsApi } from './models-api.js';
import { isPurged } from './predictions.js';
import {
  cancelPrediction,
  createPrediction,
  getPrediction,
  type PredictionsApiDeps,
} from './predictions-api.js';
import { listPredictions } from './predictions-list.js';
import { sseReply } from './sse.js';
import type { RequestKind } from './types.js';

export interface RouteDeps {
  predictions: PredictionsApiDeps;
  models: ModelsApi;
  deployments: DeploymentsApi;
  files: FilesApi;
  webhookSecret: string;
  retentionClockMs: number;
  now(): number;
}

export interface RouteRequest {
  url: URL;
  body: Buffer;
  header(name: string): string | undefined;
}

export interface Route {
  kind: RequestKind;
  auth: boolean;
  /** Whether the handler reads the request body. */
  body: boolean;
  handle(request: RouteRequest): Reply | Promise<Reply>;
}

export function matchRoute(deps: RouteDeps, method: string, pathname: string): Route {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const route = (
    kind: RequestKind,
    handle: Route['handle'],
    opts: { auth?: boolean; body?: boolean } = {},
  ): Route => ({ kind, handle, auth: opts.auth ?? true, body: opts.body ?? false });
  const [root, a, b, c, d, e] = parts;
  const n = parts.length;

  if (root === 'files-delivery' && n === 3 && method === 'GET') {
    return route('download', () => deliver(deps, a ?? '', b ?? ''), { auth: false });
  }
  if (root !== 'v1') return route('unknown', notFound, { auth: false });
  const P = deps.predictions;

  if (a === 'predictions') {
    if (n === 2 && method === 'POST') {
      return route('create', (r) => createPrediction(P, createRequest(r)), { body: true });
    }
    if (n === 2 && method === 'GET') return route('list', (r) => listPredictions(P, r.url));
    if (n === 3 && method === 'GET') return route('get', () => getPrediction(P, b ?? ''));
    if (n === 4 && c === 'cancel' && method === 'POST')
      return route('cancel', () => cancelPrediction(P, b ?? ''));
  }
  if (a === 'models') {
    const ref = `${b}/${c}`;
    if (n === 2 && method === 'GET') return route('modelList', () => deps.models.list());
    if (n === 4 && method === 'GET') return route('modelGet', () => deps.models.get(ref));
    if (n === 5 && d === 'predictions' && method === 'POST') {
      return route('create', (r) => createPrediction(P, { ...createRequest(r), officialRef: ref }), {
        body: true,
      });
    }
    if (n === 5 && d === 'versions' && method === 'GET') {
      return route('versionsList', () => deps.models.versions(ref));
    }
    if (n === 6 && d === 'versions' && method === 'GET') {
      return route('versionGet', () => deps.models.version(ref, e ?? ''));
    }
  }
  if (a === 'deployments' && n >= 4) {
    const ref = `${b}/${c}`;
    if (n === 4 && method === 'GET') return route('deploymentGet', () => deps.deployments.get(ref));
    if (n === 5 && d === 'predictions' && method === 'POST') {
      return route(
        'deploymentCreate',
        (r) => createPrediction(P, { ...createRequest(r), deploymentRef: ref }),
        { body: true },
      );
    }
  }
  if (a === 'collections' && method === 'GET') {
    if (n === 2) return route('collectionList', () => deps.models.collections());
    if (n === 3) return route('collectionGet', () => deps.models.collection(b ?? ''));
  }
  if (a === 'files') {
    if (n === 2 && method === 'POST') {
      return route('fileUpload', (r) => deps.files.upload(r.body, r.header('content-type')), { body: true });
    }
    if (n === 2 && method === 'GET') return route('fileList', () => deps.files.list());
    if (n === 3 && method === 'GET') return route('fileGet', () => deps.files.get(b ?? ''));
    if (n === 3 && method === 'DELETE') return route('fileDelete', () => deps.files.remove(b ?? ''));
    if (n === 4 && c === 'download' && method === 'GET') {
      return route('fileDownload', () => deps.files.download(b ?? ''), { auth: false });
    }
  }
  if (a === 'streams' && n === 3 && method === 'GET') {
    return route(
      'stream',
      () => {
        const state = P.store.byStreamToken(b ?? '');
        return state === undefined ? notFound() : sseReply(state);
      },
      { auth: false },
    );
  }
  if (a === 'webhooks' && b === 'default' && c === 'secret' && n === 4 && method === 'GET') {
    return route('webhookSecret', () => jsonReply(200, { key: deps.webhookSecret }));
  }
  if (a === 'account' && n === 2 && method === 'GET') {
    return route('account', () =>
      jsonReply(200, { type: 'user', username: 'fake-user', name: 'Fake User', github_url: null }),
    );
  }
  if (a === 'hardware' && n === 2 && method === 'GET') {
    return route('hardware', () =>
      jsonReply(200, [
        { name: 'CPU', sku: 'cpu' },
        { name: 'Nvidia T4 GPU', sku: 'gpu-t4' },
        { name: 'Nvidia A40 (Large) GPU', sku: 'gpu-a40-large' },
      ]),
    );
  }
  return route('unknown', notFound);
}

function createRequest(r: RouteRequest) {
  return { body: r.body, prefer: r.header('prefer'), cancelAfter: r.header('cancel-after') };
}

function deliver(deps: RouteDeps, predictionId: string, name: string): Reply {
  const state = deps.predictions.store.get(predictionId);
  const file = state?.files.get(name);
  if (state === undefined || file === undefined) return notFound();
  if (isPurged(state, { now: deps.now(), retentionClockMs: deps.retentionClockMs })) return notFound();
  return {
    kind: 'body',
    status: 200,
    headers: { 'content-type': file.contentType, 'cache-control': 'public, max-age=3600' },
    body: file.body,
  };
}
