/**
 * No placeholders by accident: with CI set and no token, `run` (provider auto) refuses with exit 2 and
 * writes nothing; `--provider local` makes placeholders on purpose; validate, plan, check and --frozen,
 * which spend nothing, are not refused; CI=false/0/empty is not CI; with a token a CI run pays as usual.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/manifest/types.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { runCli } from '../helpers/cli.js';

const TOKEN = 'r8_ci-guard-test-token-0123456789';
const RECIPE = `name: tile
assets:
  - id: red
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "a red tile", megapixels: "0.25", aspect_ratio: "1:1" }
outputs:
  - path: "{{ id }}.png"
    widths: [16]
`;
const REFUSAL =
  'error: no REPLICATE_API_TOKEN, and falling back to offline placeholders is off (as when CI is set): nothing was run; ' +
  'set REPLICATE_API_TOKEN (e.g. from a repository secret), or pass --provider local to make placeholders on purpose';

describe('CI without a token', () => {
  let dir: string;
  let fake: FakeReplicate;
  const cli = (args: string[], env: Record<string, string>) => runCli(args, { cwd: dir, env });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-ci-'));
    await writeFile(join(dir, 'tile.yaml'), RECIPE);
    fake = await startFakeReplicate({ token: TOKEN, behaviour: { runMs: 10 } });
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('run --provider auto refuses with exit 2 before anything is read or written', async () => {
    for (const CI of ['true', '1', 'yes', 'GitLab']) {
      const result = await cli(['run', 'tile.yaml'], { CI });
      expect(result.code, CI).toBe(2);
      expect(result.err).toBe(REFUSAL);
    }
    expect(await readdir(dir)).toEqual(['tile.yaml']);
  });

  it('validate, plan, check and --frozen spend nothing and are not refused', async () => {
    const env = { CI: 'true' };
    expect((await cli(['validate', 'tile.yaml'], env)).code).toBe(0);
    const plan = await cli(['plan', 'tile.yaml'], env);
    expect(plan.code).toBe(0);
    expect(plan.out).toContain('(on Replicate: $0.003)');
    // Nothing is cached yet: check and --frozen fail as they should (exit 1), not with the CI refusal.
    for (const args of [
      ['check', 'tile.yaml'],
      ['run', 'tile.yaml', '--frozen'],
    ]) {
      const result = await cli(args, env);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.err).toContain('would start a paid task');
      expect(result.err).not.toContain('falling back to offline placeholders is off');
    }
  });

  it('--provider local makes placeholders on purpose, and the manifest says so', async () => {
    const result = await cli(['run', 'tile.yaml', '--provider', 'local'], { CI: 'true' });
    expect(result.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(dir, 'output', 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.provider).toEqual({ name: 'local', offline: true });
    expect(manifest.placeholders).toBe(1);
    expect(manifest.recipes.tile?.assets[0]?.outputs[0]?.placeholder).toBe(true);
  });

  it('CI=false, CI=0 or an empty CI is not CI: the offline fallback runs', async () => {
    for (const CI of ['false', 'FALSE', '0', '']) {
      const result = await cli(['run', 'tile.yaml', '--out', 'offline'], { CI });
      expect(result.code, JSON.stringify(CI)).toBe(0);
      expect(result.err).toContain('provider: local (no REPLICATE_API_TOKEN');
    }
  });

  it('with a token a CI run goes to Replicate, and nothing in its manifest is a placeholder', async () => {
    const result = await cli(['run', 'tile.yaml', '--out', 'paid'], {
      CI: 'true',
      REPLICATE_API_TOKEN: TOKEN,
      REPLICATE_API_BASE_URL: fake.baseUrl,
    });
    expect(result.code).toBe(0);
    expect(fake.counts.create).toBe(1);
    const manifest = JSON.parse(await readFile(join(dir, 'paid', 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.provider).toEqual({ name: 'replicate', offline: false });
    expect(manifest.placeholders).toBe(0);
  });
});
