/**
 * `startDev` on a real loopback server with real file saves: a save re-runs only what changed, a change
 * to a file the recipe reads (its overlay) re-runs too, an invalid save shows its problems (file:line:column)
 * and keeps the last good page, and the server answers only to itself: other Hosts, cross-origin and
 * form POSTs, and files the page does not show are refused.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevEvent, type DevSession, startDev } from '../../src/dev/index.js';
import { BROKEN_AT, makeBadge, makeProject, ranSince, recipeText, waitForState } from './helpers.js';

describe('dev session (offline)', () => {
  let project: Awaited<ReturnType<typeof makeProject>>;
  let session: DevSession;
  const events: DevEvent[] = [];
  const runs = () => events.filter((event) => event.type === 'run-finished');

  beforeAll(async () => {
    project = await makeProject();
    session = await startDev(['tiles.yaml'], {
      cwd: project.dir,
      port: 0,
      debounceMs: 50,
      onEvent: (event) => events.push(event),
    });
    await waitForState(session, ranSince(1), 'the first run');
  });

  afterAll(async () => {
    await session?.close();
    await rm(project.dir, { recursive: true, force: true });
  });

  const page = async () => (await fetch(session.pageUrl)).text();

  it('serves the page of the first run: every card with a Pick button, nothing spent', async () => {
    const first = runs()[0];
    expect(first?.type === 'run-finished' && first.summary).toMatchObject({ made: 4, failed: 0 });
    expect(session.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const html = await page();
    expect(html.match(/data-card /g)).toHaveLength(4);
    expect(html.match(/data-pick>Pick</g)).toHaveLength(4);
    expect(html).toContain('connect-src &#39;self&#39;');
    expect(session.state().phase).toBe('idle');
  });

  it('a save re-runs; only the changed asset is made, the rest comes from the cache', async () => {
    const before = session.state().pageVersion;
    await writeFile(project.recipe, recipeText({ sunSubject: 'a red sun over dunes' }));
    const state = await waitForState(session, ranSince(before), 'the re-run after a save');
    expect(state.lastRun).toMatchObject({ made: 2, cached: 2, failed: 0 });
  });

  it('a change to a file the recipe reads (its overlay) re-runs it', async () => {
    const before = session.state().pageVersion;
    await makeBadge(project.badge, '#3050d0');
    const state = await waitForState(session, ranSince(before), 'the re-run after the overlay changed');
    // The model steps are cached; the image steps and outputs of all four are made anew.
    expect(state.lastRun?.made).toBe(4);
    expect(events.some((event) => event.type === 'changed' && event.files.includes(project.badge))).toBe(
      true,
    );
  });

  it('an invalid save shows its problems with file:line:column and keeps the last good cards', async () => {
    const before = session.state();
    const images = (await page()).match(/<img src="thumbs\/[^"]+"/g);
    await writeFile(project.recipe, recipeText({ broken: true }));
    const state = await waitForState(session, (s) => s.phase === 'invalid', 'the invalid state');
    expect(state.problems).toEqual([
      expect.objectContaining({ where: BROKEN_AT, path: 'outputs[0].widths' }),
    ]);
    expect(state.pageVersion).toBe(before.pageVersion);
    const html = await page();
    expect(html).toContain(BROKEN_AT);
    expect(html.match(/<img src="thumbs\/[^"]+"/g)).toEqual(images);
  });

  it('fixing it recovers', async () => {
    const before = session.state().pageVersion;
    await writeFile(project.recipe, recipeText({ sunSubject: 'a red sun over dunes' }));
    const state = await waitForState(session, ranSince(before), 'the run after the fix');
    expect(state.phase).toBe('idle');
    expect(state.problems).toEqual([]);
    expect(state.lastRun).toMatchObject({ made: 0, cached: 4 });
  });

  it('answers only to its own Host, and refuses POSTs from other origins, without JSON, or without Origin', async () => {
    const { port } = new URL(session.url);
    const raw = (path: string, headers: Record<string, string>, method = 'GET', body?: string) =>
      new Promise<number>((resolve, reject) => {
        import('node:http').then(({ request }) => {
          const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.end(body);
        }, reject);
      });
    expect(await raw('/', { Host: 'evil.example' })).toBe(421);
    expect(await raw('/', { Host: `localhost:${port}` })).toBe(302);
    const pick = JSON.stringify({ recipe: 'tiles', asset: 'sun', variant: 'seed=1' });
    const json = { Host: `127.0.0.1:${port}`, 'Content-Type': 'application/json' };
    expect(await raw('/__assetgen/pick', { ...json, Origin: 'http://evil.example' }, 'POST', pick)).toBe(403);
    expect(await raw('/__assetgen/pick', json, 'POST', pick)).toBe(403);
    expect(
      await raw(
        '/__assetgen/pick',
        { ...json, Origin: `http://127.0.0.1:${port}`, 'Content-Type': 'text/plain' },
        'POST',
        pick,
      ),
    ).toBe(415);
    expect(await readFile(project.recipe, 'utf8')).not.toContain('pick:');
  });

  it('serves only what the page shows', async () => {
    const html = await page();
    const output = /href="(\.\.\/\.\.\/output\/[^"]+)" data-large/.exec(html)?.[1];
    expect(output).toBeDefined();
    expect((await fetch(new URL(output ?? '', session.pageUrl))).status).toBe(200);
    for (const path of ['/tiles.yaml', '/badge.png', '/output/manifest.json', '/%2e%2e/%2e%2e/etc/passwd'])
      expect((await fetch(new URL(path, session.url))).status, path).toBe(404);
  });

  it('ends cleanly: the server closes and no run is left', async () => {
    const url = session.url;
    await session.close();
    await expect(fetch(url)).rejects.toThrow();
    const count = runs().length;
    await writeFile(project.recipe, recipeText({ sunSubject: 'after the end' }));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(runs().length).toBe(count);
  });
});

describe('dev usage', () => {
  it('refuses --yes without --max-cost, and replicate without a token, before serving', async () => {
    await expect(startDev(['x.yaml'], { provider: 'replicate', yes: true })).rejects.toThrow(/--max-cost/);
    await expect(startDev(['x.yaml'], { provider: 'replicate' })).rejects.toThrow(/REPLICATE_API_TOKEN/);
  });

  it('the CLI exits 2 for --yes without --max-cost', async () => {
    const { runCli } = await import('../helpers/cli.js');
    const result = await runCli(['dev', 'x.yaml', '--provider', 'replicate', '--yes'], { cwd: join('/tmp') });
    expect(result.code).toBe(2);
    expect(result.err).toContain('--max-cost');
  });
});
