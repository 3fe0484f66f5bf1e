/**
 * Plays recorded Replicate replies back over real HTTP on 127.0.0.1: each route answers with its recorded
 * responses in order (the last one repeats), with the recorded status, content type and rate-limit
 * headers. Absolute URLs in the bodies are moved onto this server (the API, `replicate.delivery` output
 * files, stream hosts), so nothing reaches the internet; output files are answered with the bytes given.
 */
import type { RecordedResponse } from '../../fake-replicate/recordings.js';
import { type RecordedRequest, startServer, type TestServer } from './helpers.js';

export interface ReplayRoute {
  method: string;
  path: string | RegExp;
  replies: RecordedResponse[];
}

export interface ReplayServer {
  server: TestServer;
  /** `http://127.0.0.1:PORT/v1` */
  api: string;
  /** The requests that reached a route, in order. */
  hits: RecordedRequest[];
  close(): Promise<void>;
}

const HOSTS: [RegExp, string][] = [
  [/https:\/\/api\.replicate\.com\/v1/g, '/v1'],
  [/https:\/\/(?:[a-z0-9-]+\.)*replicate\.delivery\//g, '/delivery/'],
  [/https:\/\/stream\.replicate\.com\//g, '/stream/'],
  [/https:\/\/streaming-api\.[a-z0-9.-]+\.replicate\.net\//g, '/stream/'],
];

/** The recorded body with its Replicate URLs pointing at `origin`. */
export function moveUrls(body: string, origin: string): string {
  return HOSTS.reduce((text, [pattern, path]) => text.replace(pattern, `${origin}${path}`), body);
}

export async function startReplay(routes: ReplayRoute[], files: { png: Buffer }): Promise<ReplayServer> {
  const hits: RecordedRequest[] = [];
  const served = new Map<ReplayRoute, number>();
  let origin = '';
  const server = await startServer((req, res) => {
    if (req.method === 'GET' && req.path.startsWith('/delivery/')) {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': files.png.length });
      res.end(files.png);
      return;
    }
    const route = routes.find(
      (r) =>
        r.method === req.method && (typeof r.path === 'string' ? r.path === req.path : r.path.test(req.path)),
    );
    if (route === undefined || route.replies.length === 0) {
      res.writeHead(599, { 'content-type': 'text/plain' });
      res.end(`no recorded reply for ${req.method} ${req.path}`);
      return;
    }
    hits.push(req);
    const n = served.get(route) ?? 0;
    served.set(route, n + 1);
    const reply = route.replies[Math.min(n, route.replies.length - 1)] as RecordedResponse;
    const body = moveUrls(reply.body, origin);
    res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  origin = server.url;
  return { server, api: `${origin}/v1`, hits, close: () => server.close() };
}
