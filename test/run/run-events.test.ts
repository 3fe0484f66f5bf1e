/**
 * The events progress is built on: `run-started` gives the totals a clean run reaches, `asset-finished`
 * lists the files written, `asset-failed` how many tasks the asset had, `task-finished` the text of a
 * text step that ran.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRecipes } from '../../src/api/run.js';
import { createCatalog } from '../../src/models/catalog.js';
import { createPlan } from '../../src/plan/plan.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import type { Provider } from '../../src/providers/types.js';
import { parseRecipeText } from '../../src/recipe/index.js';
import type { RunEvent } from '../../src/run/events.js';
import { runPlan } from '../../src/run/runner.js';
import { createCache } from '../../src/store/cache.js';

const catalog = createCatalog();
const recipes = resolve(import.meta.dirname, '../../recipes');

describe('run events', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-events-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('run-started counts every task a clean run finishes; asset-finished lists what it wrote', async () => {
    const events: RunEvent[] = [];
    const report = await runRecipes([join(recipes, 'product-shots.yaml')], {
      cwd: dir,
      out: 'out',
      provider: 'local',
      onEvent: (event) => events.push(event),
    });
    const started = events[0];
    expect(started).toMatchObject({
      type: 'run-started',
      mode: 'run',
      provider: 'local',
      paid: false,
      recipes: 1,
      assets: 3,
      tasks: 12, // 3 assets × 4 steps
      outputFiles: 6, // 3 assets × 2 widths
      estimatedUsd: 0,
      outDir: join(dir, 'out'),
    });
    expect(events.filter((event) => event.type === 'task-finished')).toHaveLength(18);
    const written = events.flatMap((event) => (event.type === 'asset-finished' ? event.outputs : []));
    const listed = Object.values(report.manifest?.recipes ?? {}).flatMap((recipe) =>
      recipe.assets.flatMap((asset) => asset.outputs),
    );
    expect(written.map((file) => file.path).sort()).toEqual(listed.map((file) => file.path).sort());
    expect(written).toHaveLength(6);
  });

  it('a failed asset says how many tasks it had; a text step that ran carries its text', async () => {
    const text = `name: t
assets:
  - id: ok
  - id: bad
steps:
  - id: idea
    model: meta/meta-llama-3-70b-instruct
    input: { prompt: "Name a colour for {{ id }}.", max_tokens: 20 }
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "{{ steps.idea.text }}", megapixels: "0.25" }
  - id: tidy
    image:
      - resize: { width: 64 }
outputs:
  - path: "{{ id }}-{{ width }}.png"
    widths: [16, 32]
`;
    const plan = createPlan([parseRecipeText(text, 't.yaml', { catalog })], catalog);
    const local = createLocalProvider();
    const provider: Provider = {
      ...local,
      predict: async (request) => {
        if (request.label.asset === 'bad' && request.label.step === 'art') throw new Error('no art for bad');
        return local.predict(request);
      },
    };
    const events: RunEvent[] = [];
    await runPlan(plan, {
      provider,
      cache: createCache(join(dir, 'cache-2')),
      outDir: join(dir, 'out-2'),
      onEvent: (event) => events.push(event),
    });
    expect(events.find((event) => event.type === 'asset-failed')).toMatchObject({ asset: 't/bad', tasks: 5 });
    const idea = events.find(
      (event) => event.type === 'task-finished' && event.task.asset === 't/ok' && event.task.step === 'idea',
    );
    expect(idea?.type === 'task-finished' && typeof idea.text).toBe('string');
    expect(idea?.type === 'task-finished' && idea.text?.length).toBeGreaterThan(3);
  });
});
