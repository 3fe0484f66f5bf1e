/** The CLI's contract: messages with locations, exit codes, JSON output, and nothing written on refusal. */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const recipes = resolve(import.meta.dirname, '../../recipes');

describe('assetgen commands', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('validate reports every problem as file:line:column  path: message and exits 2, writing nothing', async () => {
    await writeFile(
      join(dir, 'bad.yaml'),
      `name: bad
assets:
  - id: mug
steps:
  - id: up
    model: nightmareai/real-esrgan
    input: { scale: 20 }
outputs:
  - path: "../{{ id }}.png"
    fromat: png
`,
    );
    const result = await runCli(['validate', 'bad.yaml'], { cwd: dir });
    expect(result.code).toBe(2);
    const lines = result.err.split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(/(^|\/)bad\.yaml:7:21 {2}steps\[0\]\.input\.scale: .*10/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/(^|\/)bad\.yaml:9:11 {2}outputs\[0\]\.path: .*leaves the output folder/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/(^|\/)bad\.yaml:10:5 {2}outputs\[0\]\.fromat: .*did you mean "format"/),
    );
    expect(result.err).toMatch(/problems found; nothing was run/);
    const run = await runCli(['run', 'bad.yaml', '--out', 'out'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(await readdir(dir)).toEqual(['bad.yaml']);
  });

  it('validate passes the examples', async () => {
    const result = await runCli([
      'validate',
      join(recipes, 'product-shots.yaml'),
      join(recipes, 'app-icons.yaml'),
    ]);
    expect(result.code).toBe(0);
    expect(result.out).toContain('product-shots.yaml: ok (3 assets)');
  });

  it('plan prints tasks and cost per model, as JSON too, without running anything', async () => {
    const text = await runCli(['plan', join(recipes, 'product-shots.yaml'), '--cache-dir', 'c'], {
      cwd: dir,
    });
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/3 assets, 12 tasks, 6 output files \(provider: local\)/);
    expect(text.out).toMatch(/black-forest-labs\/flux-schnell\s+3\s+0\s+\$0/);
    const json = await runCli(['plan', join(recipes, 'product-shots.yaml'), '--json', '--cache-dir', 'c'], {
      cwd: dir,
    });
    const { summary } = JSON.parse(json.out.split('\n')[0] ?? '');
    expect(summary.assets).toBe(3);
    expect(summary.replicateUsd).toBeCloseTo(3 * 0.003 + 3 * 0.000225 * 3 + 3 * 0.000225 * 2, 9);
    expect(await readdir(dir)).not.toContain('c');
  });

  it('refuses a run over budget with exit 3 before spending anything', async () => {
    const env = {
      REPLICATE_API_TOKEN: 'r8_not-used-because-nothing-runs',
      REPLICATE_API_BASE_URL: 'http://127.0.0.1:9',
    };
    const result = await runCli(
      ['run', join(recipes, 'product-shots.yaml'), '--max-cost', '0.001', '--out', 'o'],
      {
        cwd: dir,
        env,
      },
    );
    expect(result.code).toBe(3);
    expect(result.err).toMatch(/estimated cost \$0\.0124 exceeds --max-cost \$0\.001; nothing was run/);
    expect(await readdir(dir)).not.toContain('o');
    const plan = await runCli(['plan', join(recipes, 'product-shots.yaml'), '--max-cost', '0.001'], {
      cwd: dir,
      env,
    });
    expect(plan.code).toBe(3);
  });

  it('prints the schemas, the catalog and help', async () => {
    const schema = await runCli(['schema']);
    expect(JSON.parse(schema.out).title).toBe('assetgen recipe');
    expect(JSON.parse((await runCli(['schema', 'manifest'])).out).title).toBe('assetgen manifest');
    expect(JSON.parse((await runCli(['schema', 'events'])).out).title).toBe('assetgen events');
    expect((await runCli(['schema', 'nope'])).code).toBe(2);
    const models = await runCli(['models', '--json']);
    expect(JSON.parse(models.out).map((m: { ref: string }) => m.ref)).toContain('nightmareai/real-esrgan');
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('validate');
    expect((await runCli(['run'])).code).toBe(2);
  });
});
