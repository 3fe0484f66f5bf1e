/**
 * The pre-flight module on its own: it proves each place writable by writing there, leaves nothing behind
 * (no probe file, no folder it made), and reports every place it cannot write at once, one line each.
 */
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PreflightError } from '../../src/errors.js';
import { createCatalog } from '../../src/models/catalog.js';
import { createPlan, type Plan } from '../../src/plan/plan.js';
import { parseRecipeText } from '../../src/recipe/index.js';
import { preflight } from '../../src/run/preflight.js';

const catalog = createCatalog();

function planOf(outputPath: string): Plan {
  const text = `name: t
output: t
assets: [{ id: mug }, { id: cup }]
steps:
  - id: gen
    model: black-forest-labs/flux-schnell
    input: { prompt: "a {{ id }}" }
outputs:
  - path: "${outputPath}"
`;
  return createPlan([parseRecipeText(text, 'test.yaml', { catalog })], catalog);
}

describe('preflight', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-preflight-unit-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('passes for writable places and leaves nothing behind, not even the folders it would make', async () => {
    await mkdir(join(dir, 'out', 't', 'mug'), { recursive: true });
    const report = await preflight(planOf('{{ id }}/image.png'), {
      outDir: join(dir, 'out'),
      cacheDir: join(dir, 'cache'),
      lockPath: join(dir, 'assetgen.lock'),
    });
    expect(report.warnings.filter((warning) => !warning.includes('MiB free'))).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual(['out']);
    expect(await readdir(join(dir, 'out'))).toEqual(['t']);
    expect(await readdir(join(dir, 'out', 't', 'mug'))).toEqual([]);
  });

  it('reports every place it cannot write at once, one line each, the same cause once per place', async () => {
    await writeFile(join(dir, 'file'), 'in the way');
    await mkdir(join(dir, 'lock-is-a-folder'));
    const error = await preflight(planOf('{{ id }}.png'), {
      outDir: join(dir, 'file', 'out'),
      cacheDir: join(dir, 'file', 'cache'),
      lockPath: join(dir, 'lock-is-a-folder'),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PreflightError);
    expect((error as PreflightError).failures.map((failure) => failure.message)).toEqual([
      `cannot write the output folder ${dir}/file/out: a file stands where a folder is needed (ENOTDIR); move ${dir}/file away, or choose another folder with --out`,
      `cannot write the cache folder ${dir}/file/cache: a file stands where a folder is needed (ENOTDIR); move ${dir}/file away, or choose another folder with --cache-dir`,
      `cannot write the lock file ${dir}/lock-is-a-folder: a folder stands where the file should be (EISDIR); remove or rename that folder, or choose another folder with --lock`,
    ]);
  });

  it('refuses a planned output folder below the output folder that links out of it', async () => {
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere);
    await mkdir(join(dir, 'out', 't'), { recursive: true });
    await symlink(elsewhere, join(dir, 'out', 't', 'cup'));
    const error = await preflight(planOf('{{ id }}/image.png'), {
      outDir: join(dir, 'out'),
      cacheDir: join(dir, 'cache'),
    }).catch((caught: unknown) => caught);
    expect((error as PreflightError).failures.map((failure) => failure.code)).toEqual(['OUTSIDE_OUTPUT']);
    expect((error as PreflightError).failures[0]?.path).toBe(join(dir, 'out', 't', 'cup'));
  });
});
