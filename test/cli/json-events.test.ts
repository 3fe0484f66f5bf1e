/**
 * `--json`: validate, plan, run and check print one JSON object per line on stdout and nothing else,
 * every line valid against schema/events.schema.json (checked with ajv), the last one a `summary` with
 * the outcome and the same exit code — offline and against the fake Replicate, for successes, failed
 * assets, recipe problems, a budget refusal, a frozen run that would have to pay, and argv errors.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { runCli } from '../helpers/cli.js';
import { eventsValidator, type JsonLine, parseJsonLines } from '../helpers/json-lines.js';

const TOKEN = 'r8_json-events-test-token-0123456789';
const recipesDir = resolve(import.meta.dirname, '../../recipes');

/** Fails offline: the stand-in cannot fetch a remote input image. */
const REMOTE_INPUT = `name: custom
assets:
  - id: one
  - id: two
steps:
  - id: gen
    model: nightmareai/real-esrgan
    input: { image: "https://example.invalid/{{ id }}.png" }
outputs:
  - path: "{{ id }}.png"
`;

const INVALID = `name: bad
assets:
  - id: mug
steps:
  - id: up
    model: nightmareai/real-esrgan
    input: { scale: 20 }
outputs:
  - path: "{{ id }}.png"
    fromat: png
`;

describe('--json: newline-delimited events on stdout', () => {
  let dir: string;
  let fake: FakeReplicate;
  const validate = eventsValidator();
  const seen = new Set<string>();

  /** Runs the CLI; checks every stdout line against the schema and the summary against the exit code. */
  const json = async (args: string[], env: Record<string, string> = {}) => {
    const result = await runCli([...args, '--json'], { cwd: dir, env });
    const lines = parseJsonLines(result.out);
    for (const line of lines) {
      expect(validate(line), JSON.stringify(line)).toEqual([]);
      seen.add(line.type);
    }
    const summary = lines.at(-1) as JsonLine & { exitCode: number; outcome: string };
    expect(summary.type).toBe('summary');
    expect(lines.filter((line) => line.type === 'summary')).toHaveLength(1);
    expect(summary.exitCode).toBe(result.code);
    return { ...result, lines, summary, of: (type: string) => lines.filter((line) => line.type === type) };
  };
  const paid = () => ({ REPLICATE_API_TOKEN: TOKEN, REPLICATE_API_BASE_URL: fake.baseUrl });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-json-'));
    await cp(join(recipesDir, 'product-shots.yaml'), join(dir, 'product-shots.yaml'));
    await writeFile(join(dir, 'custom.yaml'), REMOTE_INPUT);
    await writeFile(join(dir, 'bad.yaml'), INVALID);
    fake = await startFakeReplicate({ token: TOKEN, behaviour: { runMs: 10 } });
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
    // Every kind of line the schema knows appeared in these runs, except the ones no run here makes.
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([
        'asset-failed',
        'asset-finished',
        'asset-planned',
        'cost',
        'error',
        'file-written',
        'plan',
        'problem',
        'recipe',
        'run-finished',
        'run-started',
        'stale-outputs',
        'summary',
        'task-failed',
        'task-finished',
        'task-progress',
        'task-started',
        'warning',
      ]),
    );
  });

  it('validate: a recipe line per valid file; problems with file:line:column and exit 2', async () => {
    const ok = await json(['validate', 'product-shots.yaml']);
    expect(ok.code).toBe(0);
    expect(ok.of('recipe')).toEqual([
      {
        v: 1,
        type: 'recipe',
        file: join(dir, 'product-shots.yaml'),
        name: 'product-shots',
        assets: 3,
        instances: 3,
      },
    ]);
    expect(ok.summary).toMatchObject({ command: 'validate', outcome: 'ok', recipes: 1, problems: 0 });
    expect(ok.err).toContain('product-shots.yaml: ok (3 assets)'); // the human line went to stderr

    const bad = await json(['validate', 'bad.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.of('problem')).toContainEqual({
      v: 1,
      type: 'problem',
      location: { file: expect.stringMatching(/(^|\/)bad\.yaml$/), line: 7, column: 21 },
      path: 'steps[0].input.scale',
      message: expect.stringContaining('<= 10'),
    });
    expect(bad.summary).toMatchObject({ outcome: 'invalid', problems: bad.of('problem').length });
    expect(bad.err).toMatch(/problems found; nothing was run/);
  });

  it('plan: the plan, one line per asset, the Replicate estimate and budgets; nothing else on stdout', async () => {
    const plan = await json(['plan', 'product-shots.yaml', '--cache-dir', 'cache']);
    expect(plan.code).toBe(0);
    const [line] = plan.of('plan') as Array<
      JsonLine & { summary: { replicateUsd: number; budgets: unknown[] } }
    >;
    expect(line).toMatchObject({ provider: 'local', paid: false, overBudget: null });
    expect(line?.summary.replicateUsd).toBeCloseTo(0.012375, 9);
    expect(line?.summary.budgets).toEqual([
      {
        scope: 'recipe',
        recipe: 'product-shots',
        maxUsd: 0.5,
        estimatedUsd: expect.any(Number),
        exceeded: false,
      },
    ]);
    expect(plan.of('asset-planned').map((asset) => asset.key)).toEqual([
      'product-shots/mug',
      'product-shots/lamp',
      'product-shots/sneaker',
    ]);
    expect(plan.err).toMatch(/estimated cost: \$0 with the local provider \(on Replicate: \$0\.0124\)/);
  });

  it('run offline: task, file and asset events, then run-finished and the summary', async () => {
    const run = await json([
      'run',
      'product-shots.yaml',
      '--provider',
      'local',
      '--out',
      'out',
      '--cache-dir',
      'cache',
    ]);
    expect(run.code).toBe(0);
    expect(run.lines[0]).toMatchObject({ type: 'run-started', provider: 'local', mode: 'run' });
    const files = run.of('file-written');
    expect(files.map((file) => file.path).sort()).toEqual(
      ['lamp', 'mug', 'sneaker']
        .flatMap((id) => [`products/${id}-256w.webp`, `products/${id}-512w.webp`])
        .sort(),
    );
    const manifest = JSON.parse(await readFile(join(dir, 'out', 'manifest.json'), 'utf8'));
    const listed = manifest.recipes['product-shots'].assets.flatMap((a: { outputs: unknown[] }) => a.outputs);
    for (const file of files)
      expect(listed).toContainEqual(expect.objectContaining({ path: file.path, sha256: file.sha256 }));
    expect(run.lines.at(-2)).toMatchObject({ type: 'run-finished', made: 3, failed: 0 });
    // Once the manifest is written: nothing of what assetgen wrote there is stale.
    expect(run.lines.at(-3)).toEqual({
      v: 1,
      type: 'stale-outputs',
      outDir: join(dir, 'out'),
      stale: [],
      pruned: false,
      removedFolders: [],
      kept: [],
    });
    expect(run.summary).toMatchObject({
      command: 'run',
      outcome: 'ok',
      mode: 'run',
      made: 3,
      failed: 0,
      manifest: join(dir, 'out', 'manifest.json'),
      failures: [],
    });
    // An unchanged re-run: every file is already in place.
    const again = await json([
      'run',
      'product-shots.yaml',
      '--provider',
      'local',
      '--out',
      'out',
      '--cache-dir',
      'cache',
    ]);
    expect(again.of('file-written').every((file) => file.unchanged === true)).toBe(true);
    const check = await json(['check', 'product-shots.yaml', '--provider', 'local', '--cache-dir', 'cache']);
    expect(check.summary).toMatchObject({ command: 'check', outcome: 'ok', mode: 'check', cached: 3 });
    expect(check.of('file-written')).toEqual([]);
    expect(check.of('stale-outputs')).toEqual([]);
  });

  it('stale outputs: listed after a run whose manifest dropped them, removed by --prune', async () => {
    const source = await readFile(join(dir, 'product-shots.yaml'), 'utf8');
    const args = ['product-shots.yaml', '--provider', 'local', '--out', 'stale-out', '--cache-dir', 'cache'];
    expect((await json(['run', ...args])).code).toBe(0);
    // The lamp is no longer an asset: its two files stay behind, unlisted.
    await writeFile(join(dir, 'fewer.yaml'), source.replace(/^ {2}- id: lamp\n(?: {4}.*\n)*/m, ''));
    const fewer = ['fewer.yaml', ...args.slice(1)];
    const listed = await json(['run', ...fewer]);
    const lamp = ['products/lamp-256w.webp', 'products/lamp-512w.webp'];
    expect(listed.of('stale-outputs')).toEqual([
      expect.objectContaining({ stale: lamp, pruned: false, kept: [] }),
    ]);
    const pruned = await json(['run', ...fewer, '--prune']);
    expect(pruned.of('stale-outputs')).toEqual([expect.objectContaining({ stale: lamp, pruned: true })]);
    expect(pruned.err).toMatch(/pruned: removed 2 stale files from stale-out\//);
  });

  it('a failing run: asset-failed with where the asset is declared, summary failed with exit 1', async () => {
    const run = await json([
      'run',
      'custom.yaml',
      '--provider',
      'local',
      '--out',
      'out',
      '--cache-dir',
      'cache',
    ]);
    expect(run.code).toBe(1);
    expect(run.of('asset-failed')).toContainEqual(
      expect.objectContaining({
        asset: 'custom/two',
        error: expect.stringContaining('the offline stand-in cannot fetch it'),
        location: { file: join(dir, 'custom.yaml'), line: 4, column: 5 },
      }),
    );
    expect(run.summary).toMatchObject({ outcome: 'failed', failed: 2 });
    expect((run.summary.failures as unknown[]).length).toBe(2);
  });

  it('recipe problems and argv errors still end with a summary', async () => {
    const run = await json(['run', 'bad.yaml', '--out', 'out']);
    expect(run.code).toBe(2);
    expect(run.of('problem').length).toBeGreaterThan(0);
    expect(run.summary).toMatchObject({ command: 'run', outcome: 'invalid' });
    const argv = await json(['plan', 'product-shots.yaml', '--max-cost', 'lots']);
    expect(argv.code).toBe(2);
    expect(argv.of('error')).toEqual([
      { v: 1, type: 'error', code: 'USAGE', message: expect.stringContaining('--max-cost') },
    ]);
  });

  it('offline over budget: a warning line at the budget, exit 0; with a token: an error line and exit 3', async () => {
    const plan = await json(['plan', 'product-shots.yaml', '--max-cost', '0.001', '--cache-dir', 'cache-b']);
    expect(plan.code).toBe(0);
    expect(plan.of('warning')).toEqual([
      {
        v: 1,
        type: 'warning',
        message: expect.stringMatching(
          /Replicate estimate \$0\.0124 exceeds --max-cost \$0\.001: .*refused \(exit 3\)/,
        ),
      },
    ]);
    const refused = await json(
      ['run', 'product-shots.yaml', '--max-cost', '0.001', '--out', 'never'],
      paid(),
    );
    expect(refused.code).toBe(3);
    expect(refused.of('error')).toEqual([
      {
        v: 1,
        type: 'error',
        code: 'OVER_BUDGET',
        message: expect.stringContaining('exceeds --max-cost $0.001'),
        estimatedUsd: expect.closeTo(0.012375, 9),
        maxUsd: 0.001,
      },
    ]);
    expect(refused.summary).toMatchObject({ outcome: 'over-budget', error: { code: 'OVER_BUDGET' } });
  });

  it('against Replicate (fake): predictions, costs, a failed prediction, then --frozen naming what would run', async () => {
    fake.setModelBehaviour('black-forest-labs/flux-schnell', {
      runMs: 10,
      failure: { when: (input) => String(input.prompt).includes('lamp'), error: 'NSFW content detected' },
    });
    const run = await json(
      ['run', 'product-shots.yaml', '--out', 'paid', '--cache-dir', 'paid-cache'],
      paid(),
    );
    expect(run.code).toBe(1);
    expect(run.lines[0]).toMatchObject({ type: 'run-started', provider: 'replicate' });
    expect(run.of('task-progress').some((line) => typeof line.predictionId === 'string')).toBe(true);
    expect(run.of('cost').at(-1)).toMatchObject({ spentUsd: expect.any(Number) });
    expect(run.of('asset-failed')).toEqual([
      expect.objectContaining({
        asset: 'product-shots/lamp',
        error: expect.stringContaining('NSFW content detected'),
      }),
    ]);
    expect(run.summary).toMatchObject({ outcome: 'failed', made: 2, failed: 1, provider: 'replicate' });
    expect(run.summary.spentUsd).toBeGreaterThan(0);

    fake.setModelBehaviour('black-forest-labs/flux-schnell', { runMs: 10 });
    fake.resetCounts();
    const frozen = await json(
      ['run', 'product-shots.yaml', '--frozen', '--out', 'paid', '--cache-dir', 'paid-cache'],
      paid(),
    );
    expect(frozen.code).toBe(1);
    expect(fake.counts.create).toBe(0);
    expect(frozen.summary).toMatchObject({
      mode: 'frozen',
      outcome: 'failed',
      failures: [
        expect.objectContaining({
          asset: 'product-shots/lamp',
          error: expect.stringContaining('would start a paid task'),
        }),
      ],
    });
  });

  it('the schema refuses what is not an event of this version', () => {
    expect(validate({ v: 1, type: 'cost', spentUsd: 0.1, reservedUsd: 0 })).toEqual([]);
    expect(validate({ v: 1, type: 'cost', spentUsd: 0.1, reservedUsd: 0, extra: 1 })).not.toEqual([]);
    expect(validate({ v: 2, type: 'cost', spentUsd: 0.1, reservedUsd: 0 })).not.toEqual([]);
    expect(validate({ v: 1, type: 'task-done' })).not.toEqual([]);
  });

  it('assetgen schema events prints the schema the lines are checked against', async () => {
    const printed = await runCli(['schema', 'events']);
    expect(printed.code).toBe(0);
    const file = await readFile(resolve(import.meta.dirname, '../../schema/events.schema.json'), 'utf8');
    expect(JSON.parse(printed.out)).toEqual(JSON.parse(file));
  });
});
