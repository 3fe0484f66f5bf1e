/**
 * Cost truth offline: plan and run always report the Replicate estimate and hold it against each
 * recipe's budget and `maxUsd` — a located warning offline, a refusal (exit 3) with a token — and
 * placeholders in the cache never count as paid results: only Replicate results do.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetError, planRecipes, type RunEvent, runRecipes } from '../../src/index.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { runCli } from '../helpers/cli.js';

const TOKEN = 'r8_cost-truth-test-token-0123456789';
/** Two assets, each a generate (0.003) and an upscale step on Replicate. */
const RECIPE = `name: tiles
budget: { max_usd: 0.005 }
assets:
  - id: red
  - id: blue
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "a {{ id }} tile", megapixels: "0.25", aspect_ratio: "1:1" }
  - id: big
    model: nightmareai/real-esrgan
    input: { scale: 2 }
    price: { per_second: 0.000225, typical_seconds: 3 }
outputs:
  - path: "{{ id }}.png"
    widths: [16]
`;
const UPSCALE = 0.000225 * 3; // real-esrgan: T4 seconds × its typical run time
const FULL = 2 * (0.003 + UPSCALE);

describe('cost truth offline', () => {
  let dir: string;
  let fake: FakeReplicate;
  const replicate = () => ({ token: TOKEN, baseUrl: fake.baseUrl });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-cost-'));
    await writeFile(join(dir, 'tiles.yaml'), RECIPE);
    fake = await startFakeReplicate({ token: TOKEN, behaviour: { runMs: 10 } });
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('offline, a budget the Replicate estimate exceeds is a warning at its line; with a token, a refusal', async () => {
    const plan = await planRecipes(['tiles.yaml'], { cwd: dir });
    expect(plan.summary.replicateUsd).toBeCloseTo(FULL, 9);
    expect(plan.overBudget).toBeNull();
    expect(plan.summary.budgets).toEqual([
      expect.objectContaining({ scope: 'recipe', recipe: 'tiles', maxUsd: 0.005, exceeded: true }),
    ]);
    expect(plan.warnings).toEqual([
      {
        message:
          'the Replicate estimate $0.00735 exceeds recipe tiles (budget.max_usd) $0.005: with REPLICATE_API_TOKEN set this run would be refused (exit 3); offline nothing is spent',
        location: { file: join(dir, 'tiles.yaml'), line: 2, column: 20 },
      },
    ]);
    const paid = await planRecipes(['tiles.yaml'], { cwd: dir, replicate: replicate() });
    expect(paid.overBudget?.message).toMatch(
      /estimated cost \$0\.00735 exceeds recipe tiles \(budget\.max_usd\) \$0\.005/,
    );
    expect(paid.overBudget?.location).toEqual({ file: join(dir, 'tiles.yaml'), line: 2, column: 20 });
    await expect(
      runRecipes(['tiles.yaml'], { cwd: dir, out: 'never', replicate: replicate() }),
    ).rejects.toThrow(BudgetError);
    expect(fake.counts.create).toBe(0);
    expect(await readdir(dir)).not.toContain('never');
    // --max-cost too, through the CLI: exit 0 with a warning offline, exit 3 with a token.
    const offline = await runCli(['plan', 'tiles.yaml', '--max-cost', '0.001'], { cwd: dir });
    expect(offline.code).toBe(0);
    expect(offline.out).toContain('warning: the Replicate estimate $0.00735 exceeds --max-cost $0.001');
    const withToken = await runCli(['plan', 'tiles.yaml', '--max-cost', '0.001'], {
      cwd: dir,
      env: { REPLICATE_API_TOKEN: TOKEN, REPLICATE_API_BASE_URL: fake.baseUrl },
    });
    expect(withToken.code).toBe(3);
  });

  it('an offline run reports the Replicate estimate and warns; afterwards its placeholders do not count as paid', async () => {
    const events: RunEvent[] = [];
    const report = await runRecipes(['tiles.yaml'], { cwd: dir, out: 'out', onEvent: (e) => events.push(e) });
    expect(report.status).toBe('ok');
    expect(events[0]).toMatchObject({ type: 'run-started', provider: 'local', estimatedUsd: 0 });
    expect(events[0]?.type === 'run-started' && events[0].replicateUsd).toBeCloseTo(FULL, 9);
    expect(events[1]).toMatchObject({
      type: 'warning',
      message: expect.stringContaining('exceeds recipe tiles'),
    });
    expect(report.estimate.replicateUsd).toBeCloseTo(FULL, 9);

    // Everything is cached now — for the local provider only.
    const plan = await planRecipes(['tiles.yaml'], { cwd: dir });
    expect(plan.summary.models.map((m) => [m.model, m.tasks, m.cached])).toEqual([
      ['black-forest-labs/flux-schnell', 2, 2],
      ['nightmareai/real-esrgan', 2, 2],
    ]);
    expect(plan.summary.replicateUsd).toBeCloseTo(FULL, 9);
    expect(plan.assets[0]?.steps.map((step) => [step.id, step.cached, step.estimatedUsd])).toEqual([
      ['art', true, 0.003],
      ['big', true, expect.closeTo(UPSCALE, 9)],
    ]);
    const text = await runCli(['plan', 'tiles.yaml'], { cwd: dir });
    expect(text.out).toContain('estimated cost: $0 with the local provider (on Replicate: $0.00735)');
  });

  it('Replicate results in the cache do count: after a paid run the offline estimate is $0', async () => {
    const paid = await runRecipes(['tiles.yaml'], {
      cwd: dir,
      out: 'paid',
      maxUsd: 1,
      replicate: replicate(),
    }).catch((error: unknown) => error);
    // The recipe's own budget still refuses: raise it for the paid run.
    expect(paid).toBeInstanceOf(BudgetError);
    await writeFile(join(dir, 'tiles.yaml'), RECIPE.replace('max_usd: 0.005', 'max_usd: 0.05'));
    const report = await runRecipes(['tiles.yaml'], { cwd: dir, out: 'paid', replicate: replicate() });
    expect(report.status).toBe('ok');
    expect(fake.counts.create).toBe(4);
    const offline = await planRecipes(['tiles.yaml'], { cwd: dir });
    expect(offline.summary.replicateUsd).toBe(0);
    expect(offline.summary.budgets[0]).toMatchObject({ estimatedUsd: 0, exceeded: false });
    expect(offline.warnings).toEqual([]);
    // A new asset: only its chain is estimated, whatever the offline cache holds.
    await writeFile(
      join(dir, 'tiles.yaml'),
      RECIPE.replace('max_usd: 0.005', 'max_usd: 0.05').replace(
        '  - id: blue\n',
        '  - id: blue\n  - id: green\n',
      ),
    );
    const grown = await planRecipes(['tiles.yaml'], { cwd: dir });
    expect(grown.summary.replicateUsd).toBeCloseTo(0.003 + UPSCALE, 9);
  });
});
