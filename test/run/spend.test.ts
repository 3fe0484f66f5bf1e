/**
 * What the runner books as spent: only predictions that exist, each once — at its actual cost when it
 * finished, at the cost its metrics give when it ended without a result, at its estimate only when its
 * outcome is unknown — and nothing for a task whose create was refused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import { createCatalog } from '../../src/models/catalog.js';
import { createPlan } from '../../src/plan/plan.js';
import type { PredictionRequest, PredictionResult, Provider } from '../../src/providers/types.js';
import { parseRecipeText } from '../../src/recipe/index.js';
import type { RunEvent } from '../../src/run/events.js';
import { runPlan } from '../../src/run/runner.js';
import { formatSpend } from '../../src/run/spend.js';
import { createCache } from '../../src/store/cache.js';

const catalog = createCatalog();
const FLUX_ESTIMATE = 0.003;

const plan = () =>
  createPlan(
    [
      parseRecipeText(
        `name: t
assets: [{ id: canceled }, { id: refused }, { id: lost }, { id: made }]
steps:
  - id: gen
    model: black-forest-labs/flux-schnell
    input: { prompt: "thing {{ id }}" }
outputs:
  - path: "{{ id }}.png"
`,
        'test.yaml',
        { catalog },
      ),
    ],
    catalog,
  );

const fail = (request: PredictionRequest, what: string) =>
  new ProviderError('TEST', `${request.label.asset}: ${what}`, { provider: 'test' });

/** One behaviour per asset: a prediction canceled after it ran, a refused create, an unknown outcome, a result. */
const provider: Provider = {
  name: 'test',
  paid: true,
  async predict(request): Promise<PredictionResult> {
    const id = `p-${request.label.asset}`;
    const event = request.onEvent ?? (() => {});
    switch (request.label.asset) {
      case 'refused':
        throw fail(request, 'HTTP 402: insufficient credit');
      case 'canceled':
        event({ type: 'prediction-created', predictionId: id });
        event({ type: 'prediction-ended', predictionId: id, status: 'canceled', actualUsd: 0.0005 });
        throw fail(request, 'canceled');
      case 'lost':
        event({ type: 'prediction-created', predictionId: id });
        throw fail(request, 'the network went away while polling');
      default: {
        event({ type: 'prediction-created', predictionId: id });
        await request.onModelDone?.({ actualUsd: 0.004 });
        throw fail(request, 'download failed');
      }
    }
  },
};

describe('spend', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-spend-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('books each existing prediction once, at what is known of its cost, and a refused create at nothing', async () => {
    const events: RunEvent[] = [];
    const result = await runPlan(plan(), {
      provider,
      cache: createCache(join(dir, 'cache')),
      outDir: join(dir, 'out'),
      onEvent: (event) => events.push(event),
    });
    expect(result.failed).toBe(4);
    const expected = 0.0005 + FLUX_ESTIMATE + 0.004;
    expect(result.spentUsd).toBeCloseTo(expected, 9);
    expect(result.spend).toEqual({
      created: { count: 3, usd: expect.closeTo(expected, 9), replacing: 0 },
      resumed: { count: 0, usd: 0 },
      atEstimate: 1,
    });
    const costs = events.filter((e) => e.type === 'cost');
    expect(costs.at(-1)).toEqual({ type: 'cost', spentUsd: expect.closeTo(expected, 9), reservedUsd: 0 });
    expect(formatSpend(result.spend, 'estimated $0.012')).toBe(
      'spent $0.0075 on 3 predictions (3 created, 1 booked at their estimate, cost unknown; estimated $0.012)',
    );
  });

  it('says what was resumed apart from what was created', () => {
    const tally = {
      created: { count: 2, usd: 0.006, replacing: 1 },
      resumed: { count: 1, usd: 0.003 },
      atEstimate: 0,
    };
    expect(formatSpend(tally, 'estimated $0.009')).toBe(
      "spent $0.009 on 3 predictions (2 created, 1 of them in place of an earlier run's that gave no result, " +
        '1 resumed from an earlier run: $0.003; estimated $0.009)',
    );
    const none = {
      created: { count: 0, usd: 0, replacing: 0 },
      resumed: { count: 0, usd: 0 },
      atEstimate: 0,
    };
    expect(formatSpend(none, 'estimated $0.009')).toBe('spent $0 (no prediction created; estimated $0.009)');
  });
});
