/**
 * S10 — `assetgen dev`, offline: the time from saving a recipe (one asset's prompt changed) to the
 * updated page — the server has announced the new cards over its event stream and serves the page that
 * holds the asset's new thumbnail. A recipe of 24 assets (12 with --quick), each a placeholder model step,
 * an image step and one webp output; the session's own debounce (100 ms) included. Median of 7 saves
 * (5 with --quick), after a first run that fills the cache.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type DevEvent, startDev } from '../../src/index.js';
import { type BenchContext, round, type ScenarioRow } from '../lib/context.js';
import { median } from '../lib/stats.js';

function recipe(assets: number, changed: string): string {
  return stringify({
    name: 'bench-dev',
    assets: Array.from({ length: assets }, (_, i) => ({
      id: `tile-${i}`,
      subject: i === 0 ? changed : `tile number ${i}`,
    })),
    steps: [
      {
        id: 'draft',
        model: 'black-forest-labs/flux-schnell',
        input: { prompt: '{{ subject }}', aspect_ratio: '1:1', megapixels: '0.25', seed: 1 },
      },
      { id: 'framed', image: [{ extend: { all: 8, background: '#ffffff' } }] },
    ],
    outputs: [{ path: '{{ id }}-{{ width }}w.webp', widths: [384], format: { webp: { quality: 80 } } }],
  });
}

/** The `state` events of a dev server, as they arrive. */
async function subscribe(
  url: string,
  onState: (state: { pageVersion: number }) => void,
  signal: AbortSignal,
) {
  const response = await fetch(url, { signal });
  const reader = response.body?.getReader();
  if (reader === undefined) throw new Error('S10: no event stream');
  const decoder = new TextDecoder();
  let buffer = '';
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').find((line) => line.startsWith('data: '));
        if (block.includes('event: state') && data !== undefined) onState(JSON.parse(data.slice(6)));
        end = buffer.indexOf('\n\n');
      }
    }
  })().catch(() => {});
}

export async function devLoop(context: BenchContext): Promise<ScenarioRow[]> {
  const assets = context.options.quick ? 12 : 24;
  const saves = context.options.quick ? 5 : 7;
  const dir = join(context.workDir, 'dev');
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'tiles.yaml');
  await writeFile(file, recipe(assets, 'a lighthouse, version 0'));
  const events: DevEvent[] = [];
  const session = await startDev(['tiles.yaml'], {
    cwd: dir,
    port: 0,
    onEvent: (event) => events.push(event),
  });
  const stop = new AbortController();
  let announced = 0;
  const waiters: Array<() => void> = [];
  try {
    context.log(`S10: dev session on ${assets} assets, first run`);
    await subscribe(
      new URL('/__assetgen/events', session.url).href,
      (state) => {
        if (state.pageVersion > announced) {
          announced = state.pageVersion;
          for (const wake of waiters.splice(0)) wake();
        }
      },
      stop.signal,
    );
    const pageAfter = (version: number) =>
      new Promise<void>((resolve) => {
        const check = () => (announced > version ? resolve() : waiters.push(check));
        check();
      });
    await pageAfter(1);
    const totals: number[] = [];
    const runs: number[] = [];
    const pages: number[] = [];
    for (let i = 1; i <= saves; i++) {
      const before = announced;
      const seen = events.length;
      const subject = `a lighthouse, version ${i}`;
      const started = performance.now();
      await writeFile(file, recipe(assets, subject));
      await pageAfter(before);
      const html = await (await fetch(session.pageUrl)).text();
      const total = performance.now() - started;
      if (!html.includes(subject)) throw new Error('S10: the page does not show the change');
      const fresh = events.slice(seen);
      const run = fresh.find((event) => event.type === 'run-finished');
      const page = fresh.find((event) => event.type === 'page');
      if (run?.type !== 'run-finished' || run.summary.made !== 1 || run.summary.cached !== assets - 1)
        throw new Error(`S10: expected one asset made, the rest cached: ${JSON.stringify(run)}`);
      totals.push(total);
      runs.push(run.summary.durationMs);
      if (page?.type === 'page') pages.push(page.durationMs);
      context.log(`S10: save ${i}/${saves}: ${total.toFixed(0)} ms`);
    }
    const load = os.loadavg()[0]?.toFixed(1);
    return [
      {
        id: 'S10',
        title: `dev: save → updated page, one asset of ${assets} changed, offline (median of ${saves})`,
        value: round(median(totals), 0),
        unit: 'ms',
        target: '',
        met: null,
        summary:
          `saves ${totals.map((ms) => ms.toFixed(0)).join(', ')} ms; of which run ${round(median(runs), 0)} ms, ` +
          `page rebuild ${round(median(pages), 0)} ms, debounce 100 ms (medians); load ${load}`,
        details: {
          totalsMs: totals.map((ms) => round(ms, 1)),
          runMs: runs.map((ms) => round(ms, 1)),
          pageMs: pages.map((ms) => round(ms, 1)),
          debounceMs: 100,
          loadAverage: os.loadavg(),
        },
      },
    ];
  } finally {
    stop.abort();
    await session.close();
  }
}
