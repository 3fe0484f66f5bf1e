/**
 * Stale outputs, through the library against the offline provider with real files: picking a variant
 * leaves the others' files behind, the run reports them (event and report), `prune` removes exactly those
 * and the folders assetgen made for them — and not the files of another recipe that writes into the same
 * output folder, nor a file someone replaced, nor the last good file of an asset that failed. Two runs at
 * once into one output folder lose neither manifest entries nor recorded files, and assetgen's state
 * stays in the cache folder: the output folder holds only the outputs and manifest.json.
 */
import { mkdtemp, readdir, readFile, realpath, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  findStaleOutputs,
  type Manifest,
  type RunEvent,
  type RunRecipesOptions,
  runRecipes,
  type StaleOutputs,
} from '../../src/index.js';
import { startFakeReplicate } from '../fake-replicate/index.js';

const TOKEN = 'r8_stale-outputs-test-token-0123456789';

const cards = (extra = '') => `name: cards
output: cards
assets:
  - id: ace${extra}
    subject: an ace of spades
  - id: king
    subject: a king of hearts
variants:
  seed: [1, 2, 3]
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "{{ subject }}", megapixels: "0.25", aspect_ratio: "1:1" }
outputs:
  - path: "{{ id }}/s{{ seed }}/{{ id }}.png"
    widths: [32]
`;

const OTHER = `name: other
output: other
assets:
  - id: dot
    subject: a dot
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "{{ subject }}", megapixels: "0.25", aspect_ratio: "1:1" }
outputs:
  - path: "{{ id }}.png"
    widths: [16]
`;

let dir: string;
beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'assetgen-stale-')));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Runs offline into `out`, collecting the `stale-outputs` event. */
async function run(files: string[], options: RunRecipesOptions = {}) {
  const events: RunEvent[] = [];
  const report = await runRecipes(files, {
    cwd: dir,
    provider: 'local',
    out: 'out',
    cacheDir: 'cache',
    onEvent: (event) => events.push(event),
    ...options,
  });
  const stale = events.filter((event) => event.type === 'stale-outputs');
  expect(stale).toHaveLength(1);
  return { report, event: stale[0] as RunEvent & StaleOutputs };
}

/** Every file under the output folder, hidden ones too, relative with `/`. */
async function filesIn(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1))
    .sort();
}

async function foldersIn(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1))
    .sort();
}

async function manifestPaths(): Promise<string[]> {
  const manifest = JSON.parse(await readFile(join(dir, 'out', 'manifest.json'), 'utf8')) as Manifest;
  return Object.values(manifest.recipes)
    .flatMap((recipe) => recipe.assets.flatMap((asset) => asset.outputs.map((output) => output.path)))
    .sort();
}

const ace = (seed: number) => `cards/ace/s${seed}/ace.png`;
const king = (seed: number) => `cards/king/s${seed}/king.png`;
const pickAce = '\n    pick: { seed: 2 }';

describe('stale outputs', () => {
  it('pick a variant → the others are reported → prune removes exactly them and their empty folders', async () => {
    await writeFile(join(dir, 'cards.yaml'), cards());
    const first = await run(['cards.yaml']);
    expect(first.report.stale).toEqual({
      outDir: join(dir, 'out'),
      stale: [],
      pruned: false,
      removedFolders: [],
      kept: [],
    });
    expect(await filesIn(join(dir, 'out'))).toHaveLength(7);

    await writeFile(join(dir, 'cards.yaml'), cards(pickAce));
    const picked = await run(['cards.yaml']);
    expect(picked.report.cached).toBe(4);
    expect(picked.event).toMatchObject({ stale: [ace(1), ace(3)], pruned: false, kept: [] });
    expect(picked.report.stale).toEqual(expect.objectContaining({ stale: [ace(1), ace(3)] }));
    // Reported, not removed.
    await stat(join(dir, 'out', ace(1)));

    const pruned = await run(['cards.yaml'], { prune: true });
    expect(pruned.event).toMatchObject({
      stale: [ace(1), ace(3)],
      pruned: true,
      removedFolders: ['cards/ace/s1', 'cards/ace/s3'],
      kept: [],
    });
    expect(await filesIn(join(dir, 'out'))).toEqual(['manifest.json', ...(await manifestPaths())].sort());
    expect(await foldersIn(join(dir, 'out'))).toEqual([
      'cards',
      'cards/ace',
      'cards/ace/s2',
      'cards/king',
      'cards/king/s1',
      'cards/king/s2',
      'cards/king/s3',
    ]);
    // Nothing is stale any more.
    expect((await run(['cards.yaml'], { prune: true })).event).toMatchObject({
      stale: [],
      removedFolders: [],
    });
  });

  it('another recipe writing into the same output folder in between keeps its files', async () => {
    await writeFile(join(dir, 'cards.yaml'), cards());
    await writeFile(join(dir, 'other.yaml'), OTHER);
    await run(['cards.yaml']);
    await writeFile(join(dir, 'cards.yaml'), cards(pickAce));
    expect((await run(['cards.yaml'])).event.stale).toEqual([ace(1), ace(3)]);
    // The other recipe's run comes in between: the manifest now lists both recipes.
    const other = await run(['other.yaml']);
    expect(other.event.stale).toEqual([ace(1), ace(3)]);
    // A prune from either recipe's run judges against the whole manifest.
    const pruned = await run(['other.yaml'], { prune: true });
    expect(pruned.event).toMatchObject({ stale: [ace(1), ace(3)], pruned: true });
    const files = await filesIn(join(dir, 'out'));
    expect(files).toContain('other/dot.png');
    expect(files).toEqual(['manifest.json', ...(await manifestPaths())].sort());
    expect(await manifestPaths()).toEqual(['other/dot.png', ace(2), king(1), king(2), king(3)].sort());
  });

  it('never removes a file someone replaced after assetgen wrote it, and says so', async () => {
    await writeFile(join(dir, 'cards.yaml'), cards());
    await run(['cards.yaml']);
    const original = await readFile(join(dir, 'out', ace(3)));
    // Someone's own file of another size, and one of the same size with other bytes (a later mtime).
    await writeFile(join(dir, 'out', ace(1)), 'my own sketch');
    const sameSize = Buffer.from(original);
    sameSize[sameSize.length - 5] = (sameSize[sameSize.length - 5] ?? 0) ^ 0xff;
    await writeFile(join(dir, 'out', ace(3)), sameSize);
    await utimes(join(dir, 'out', ace(3)), new Date(), new Date(Date.now() + 5_000));
    await writeFile(join(dir, 'cards.yaml'), cards(pickAce));

    const listed = await run(['cards.yaml']);
    expect(listed.event.stale).toEqual([]);
    expect(listed.event.kept).toEqual([
      { path: ace(1), reason: 'changed', detail: 'its size changed since assetgen wrote it' },
      { path: ace(3), reason: 'changed', detail: 'its content changed since assetgen wrote it' },
    ]);
    const pruned = await run(['cards.yaml'], { prune: true });
    expect(pruned.event).toMatchObject({ stale: [], pruned: true, removedFolders: [] });
    expect(pruned.event.kept.map((kept) => kept.path)).toEqual([ace(1), ace(3)]);
    expect(await readFile(join(dir, 'out', ace(1)), 'utf8')).toBe('my own sketch');
    expect(await readFile(join(dir, 'out', ace(3)))).toEqual(sameSize);
    // Someone else's files now: forgotten, never reported again.
    expect((await run(['cards.yaml'])).event).toMatchObject({ stale: [], kept: [] });
  });

  it('a file only touched (same bytes, new mtime) is still assetgen’s: removed', async () => {
    await writeFile(join(dir, 'cards.yaml'), cards());
    await run(['cards.yaml']);
    await utimes(join(dir, 'out', ace(1)), new Date(), new Date(Date.now() + 60_000));
    await writeFile(join(dir, 'cards.yaml'), cards(pickAce));
    expect((await run(['cards.yaml'], { prune: true })).event).toMatchObject({
      stale: [ace(1), ace(3)],
      kept: [],
    });
  });

  it('keeps the earlier files of an asset that failed in this run (its last good images)', async () => {
    const fake = await startFakeReplicate({ token: TOKEN, behaviour: { runMs: 5 } });
    try {
      const paid = { provider: 'replicate', replicate: { token: TOKEN, baseUrl: fake.baseUrl } } as const;
      await writeFile(join(dir, 'cards.yaml'), cards());
      expect((await run(['cards.yaml'], paid)).report.status).toBe('ok');
      // The king's prompt changes and its predictions fail: its earlier files are not stale.
      fake.setModelBehaviour('black-forest-labs/flux-schnell', {
        runMs: 5,
        failure: { when: (input) => String(input.prompt).includes('clubs'), error: 'NSFW content detected' },
      });
      await writeFile(join(dir, 'cards.yaml'), cards(pickAce).replace('a king of hearts', 'a king of clubs'));
      const failed = await run(['cards.yaml'], { ...paid, prune: true });
      expect(failed.report.status).toBe('failed');
      expect(failed.event.stale).toEqual([ace(1), ace(3)]);
      expect(failed.event.kept).toEqual(
        [1, 2, 3].map((seed) => ({
          path: king(seed),
          reason: 'unfinished',
          detail: `cards/king/seed-${seed} did not finish in this run`,
        })),
      );
      for (const seed of [1, 2, 3]) await stat(join(dir, 'out', king(seed)));
    } finally {
      await fake.close();
    }
  });

  it('two runs at once into one output folder lose neither manifest entries nor recorded files', async () => {
    await writeFile(join(dir, 'cards.yaml'), cards());
    await writeFile(join(dir, 'other.yaml'), OTHER);
    const [a, b] = await Promise.all([run(['cards.yaml']), run(['other.yaml'])]);
    expect(a.report.status).toBe('ok');
    expect(b.report.status).toBe('ok');
    // Neither judged the other's fresh files stale.
    expect([...a.event.stale, ...b.event.stale]).toEqual([]);
    expect(await manifestPaths()).toEqual(
      ['other/dot.png', ace(1), ace(2), ace(3), king(1), king(2), king(3)].sort(),
    );
    // Every file of both runs is remembered: dropping both recipes' assets makes all of them stale.
    await writeFile(join(dir, 'cards.yaml'), cards(pickAce));
    await writeFile(
      join(dir, 'other.yaml'),
      OTHER.replace('  - id: dot\n    subject: a dot\n', '  - id: ring\n    subject: a ring\n'),
    );
    await run(['cards.yaml', 'other.yaml']);
    const found = await findStaleOutputs({ cwd: dir, out: 'out', cacheDir: 'cache' });
    expect(found.stale).toEqual(['other/dot.png', ace(1), ace(3)].sort());
    const removed = await findStaleOutputs({ cwd: dir, out: 'out', cacheDir: 'cache', prune: true });
    expect(removed).toMatchObject({ pruned: true, stale: found.stale });
    expect(await filesIn(join(dir, 'out'))).toEqual(['manifest.json', ...(await manifestPaths())].sort());
  });

  it('keeps its state in the cache folder: the output folder holds only outputs and manifest.json', async () => {
    await writeFile(join(dir, 'cards.yaml'), cards());
    await run(['cards.yaml']);
    await writeFile(join(dir, 'cards.yaml'), cards(pickAce));
    await run(['cards.yaml'], { prune: true });
    await run(['cards.yaml'], { frozen: true, prune: true });
    expect(await filesIn(join(dir, 'out'))).toEqual(['manifest.json', ...(await manifestPaths())].sort());
    const cache = await filesIn(join(dir, 'cache'));
    expect(cache.filter((path) => path.startsWith('outputs/'))).toEqual([
      expect.stringMatching(/^outputs\/[0-9a-f]{32}\/record\.json$/),
    ]);
    const text = await readFile(
      join(dir, 'cache', cache.find((path) => path.startsWith('outputs/')) ?? ''),
      'utf8',
    );
    const [header, ...entries] = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind?: string; path?: string });
    expect(header).toEqual({ v: 2, outDir: join(dir, 'out') });
    const recorded = entries.filter((entry) => entry.kind === 'file').map((entry) => entry.path);
    expect(recorded).toEqual(await manifestPaths());
  });

  it('a temporary file a killed run left in the output folder is cleared by the next run', async () => {
    await writeFile(join(dir, 'cards.yaml'), cards());
    await run(['cards.yaml']);
    // A dead process's probe and temporary file (pid 2^22 + 1 is above Linux's pid_max default).
    await writeFile(join(dir, 'out', '.assetgen-preflight-4194305-0a1b2c3d.tmp'), 'probe');
    await writeFile(join(dir, 'out', '.manifest.json.4194305.deadbeef.tmp'), '{');
    await writeFile(join(dir, 'out', 'notes.tmp'), 'mine');
    await run(['cards.yaml']);
    const files = await filesIn(join(dir, 'out'));
    expect(files.filter((path) => path.endsWith('.tmp'))).toEqual(['notes.tmp']);
  });
});
