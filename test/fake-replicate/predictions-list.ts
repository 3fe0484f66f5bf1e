/**
 * `GET /predictions`: newest first, `pageSize` (100) per page, absolute `next`/`previous` URLs carrying an
 * opaque `cursor`, `created_after`/`created_before` filters (kept in the page links).
 */
import { jsonReply, problem, type Reply } from './http.js';
import type { PredictionState } from './predictions.js';
import type { PredictionsApiDeps } from './predictions-api.js';

interface Cursor {
  /** Items older than this seq (next page) … */
  before?: number;
  /** … or newer than this seq (previous page). */
  after?: number;
}

const encodeCursor = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');

function decodeCursor(text: string): Cursor | undefined {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

export function listPredictions(deps: PredictionsApiDeps, url: URL): Reply {
  const params = url.searchParams;
  const bound = (name: string): number | undefined | null => {
    const value = params.get(name);
    if (value === null) return undefined;
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  };
  const after = bound('created_after');
  const before = bound('created_before');
  if (after === null || before === null)
    return problem(400, 'created_after and created_before must be ISO 8601 dates');
  const cursorText = params.get('cursor');
  const cursor = cursorText === null ? {} : decodeCursor(cursorText);
  if (cursor === undefined) return problem(400, 'Invalid cursor');

  const all = deps.store
    .newestFirst()
    .filter(
      (s) => (after === undefined || s.createdAt > after) && (before === undefined || s.createdAt < before),
    );
  let page: PredictionState[];
  if (cursor.after !== undefined) {
    const newer = all.filter((s) => s.seq > (cursor.after ?? 0));
    page = newer.slice(Math.max(0, newer.length - deps.pageSize));
  } else {
    page = all.filter((s) => cursor.before === undefined || s.seq < cursor.before).slice(0, deps.pageSize);
  }
  const first = page[0];
  const last = page[page.length - 1];
  const link = (c: Cursor) => {
    const next = new URL(url.pathname, url);
    next.search = url.search;
    next.searchParams.set('cursor', encodeCursor(c));
    return next.href;
  };
  const hasOlder = last !== undefined && all.some((s) => s.seq < last.seq);
  const hasNewer = first !== undefined && all.some((s) => s.seq > first.seq);
  return jsonReply(200, {
    previous: hasNewer && first !== undefined ? link({ after: first.seq }) : null,
    next: hasOlder && last !== undefined ? link({ before: last.seq }) : null,
    results: page.map(deps.toJson),
  });
}
