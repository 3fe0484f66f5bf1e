/**
 * The streamed manifest (src/manifest/stream.ts): entries added in any order come out in position order,
 * byte for byte what the in-memory writer writes; nothing is left behind when it is discarded, and a
 * missing entry refuses to write rather than writing a manifest with a hole.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { providerEntry } from '../../src/manifest/placeholders.js';
import { openManifestStream } from '../../src/manifest/stream.js';
import type { ManifestAsset, ManifestRecipe } from '../../src/manifest/types.js';
import { writeManifest } from '../../src/manifest/write.js';

function asset(id: string, provider: string, placeholder: boolean): ManifestAsset {
  return {
    id,
    variant: {},
    variables: { id, subject: `a "quoted"\nthing ${id} ✓` },
    status: id.endsWith('3') ? 'failed' : 'ok',
    ...(id.endsWith('3') ? { error: 'it broke' } : {}),
    placeholder,
    steps: [
      {
        id: 'art',
        kind: 'model',
        provider,
        model: 'black-forest-labs/flux-schnell',
        version: null,
        input: { prompt: id, nested: { list: [1, 2, { deep: [] }] }, empty: {} },
        seed: 1,
        prediction_id: null,
        prediction_origin: null,
        estimated_usd: 0.003,
        actual_usd: null,
        cache_hit: false,
        duration_ms: 12,
        files: [],
      },
    ],
    outputs: [
      { path: `r/${id}.png`, format: 'png', width: 8, height: 8, bytes: 10, sha256: 'ab', placeholder },
    ],
  };
}

const dirs: string[] = [];
async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'assetgen-stream-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('streamed manifest', () => {
  it('writes the bytes the in-memory writer writes, whatever order the entries come in', async () => {
    const recipes: Record<string, ManifestRecipe> = {
      zeta: {
        source: 'zeta.yaml',
        output: 'zeta',
        provider: providerEntry('local'),
        assets: Array.from({ length: 40 }, (_, i) => asset(`z${i}`, 'local', true)),
      },
      alpha: { source: 'a.yaml', output: 'a', provider: providerEntry('local'), assets: [] },
      mid: {
        source: 'm.yaml',
        output: 'm',
        provider: providerEntry('replicate'),
        assets: [asset('m1', 'replicate', false), asset('m3', 'replicate', false)],
      },
    };
    const kept: Record<string, ManifestRecipe> = {
      beta: {
        source: 'b.yaml',
        output: 'b',
        provider: providerEntry('local'),
        assets: [asset('b1', 'local', true)],
      },
    };
    const expectedDir = await folder();
    await writeManifest(expectedDir, kept, { generatorVersion: 't' });
    await writeManifest(expectedDir, recipes, { generatorVersion: 't', provider: providerEntry('local') });

    const dir = await folder();
    const order = ['zeta', 'alpha', 'mid'] as const;
    const stream = await openManifestStream(
      dir,
      order.map((name) => ({ ...recipes[name], name, count: recipes[name]?.assets.length ?? 0 }) as never),
    );
    const adds: Array<[number, number, ManifestAsset]> = [];
    for (const [r, name] of order.entries())
      for (const [i, entry] of (recipes[name]?.assets ?? []).entries()) adds.push([r, i, entry]);
    adds.reverse(); // the last first: the spool's order is not the manifest's
    for (const [r, i, entry] of adds) await stream.add(r, i, entry);
    await stream.finish({
      file: 'manifest.json',
      generatorVersion: 't',
      fallback: providerEntry('local'),
      others: { ...kept, zeta: kept.beta as ManifestRecipe },
    });
    const [want, got] = await Promise.all([
      readFile(join(expectedDir, 'manifest.json'), 'utf8'),
      readFile(join(dir, 'manifest.json'), 'utf8'),
    ]);
    expect(got).toBe(want);
    expect(await readdir(dir)).toEqual(['manifest.json']);
  });

  it('refuses to write with an entry missing, and leaves no manifest and no spool', async () => {
    const dir = await folder();
    const stream = await openManifestStream(dir, [{ name: 'r', source: 'r.yaml', output: 'r', count: 2 }]);
    await stream.add(0, 1, asset('x', 'local', true));
    await expect(
      stream.finish({ file: 'manifest.json', generatorVersion: 't', fallback: providerEntry('local') }),
    ).rejects.toThrow(/entry 0 of recipe r never came/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('discard leaves the folder as it was', async () => {
    const dir = await folder();
    const stream = await openManifestStream(dir, [{ name: 'r', source: 'r.yaml', output: 'r', count: 1 }]);
    await stream.add(0, 0, asset('x', 'local', true));
    await stream.discard();
    expect(await readdir(dir)).toEqual([]);
  });
});
