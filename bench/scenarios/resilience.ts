/**
 * S8 — transient faults: the S1 pipeline (300 assets × 3 steps, concurrency 32) at Replicate's default
 * 600 creates/min, once fault-free and once with 10 % of API requests and downloads failing once (503,
 * resets before and after processing, truncated bodies, passing 429s), each on a fresh fake. The faulty
 * run must finish within 1.5× the fault-free one, make every asset, and create no prediction twice.
 *
 * S9 — low credit: a batch on an account limited to 6 creates/min with a burst of 1 (the fake's low-credit
 * mode), with the provider configured for the usual 600/min: the 429s it draws in all, and its makespan
 * against the rate bound.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFakeProcess } from '../fake/client.js';
import type { FakeSpec, FiredFaults } from '../fake/protocol.js';
import { type AssetgenRun, runWithAssetgen } from '../lib/assetgen-run.js';
import { chainsOf } from '../lib/bounds.js';
import { type BenchContext, round, type ScenarioRow, seconds } from '../lib/context.js';
import {
  DEFAULT_CREATES_PER_MINUTE,
  fastRecipe,
  fastSpec,
  pipelineRecipe,
  pipelineSpec,
  SIM_MS_PER_UNIT,
} from '../lib/workload.js';

const FAULT_RATE = 0.1;
const LOW_CREDIT_PER_MINUTE = 6;

interface Batch {
  run: AssetgenRun;
  /** Predictions the fake made. */
  predictions: number;
  /** Distinct predictions the run's tasks ended with. */
  used: number;
  creates: number;
  apiRequests: number;
  fired: FiredFaults;
  errors: string[];
  timeline: { lastCreateS: number; lastCompletedS: number; runS: number };
}

async function batch(
  context: BenchContext,
  name: string,
  recipeText: string,
  spec: FakeSpec,
): Promise<Batch> {
  const dir = join(context.workDir, name);
  await mkdir(dir, { recursive: true });
  const recipe = join(dir, 'recipe.yaml');
  await writeFile(recipe, recipeText);
  // One simulated clock for the fake and the provider: adoption lists predictions by `created_after`.
  const clockOrigin = Date.now();
  const fake = await startFakeProcess({ ...spec, clockOrigin });
  try {
    const run = await runWithAssetgen({
      recipe,
      server: fake,
      time: context.time,
      clockOrigin,
      createsPerMinute: DEFAULT_CREATES_PER_MINUTE,
      cacheDir: join(dir, 'cache'),
      outDir: join(dir, 'out'),
    });
    const counts = await fake.counts();
    const predictions = await fake.predictions();
    const created = predictions.map((p) => p.createdMs).sort((a, b) => a - b);
    const completed = predictions.map((p) => p.completedMs ?? 0).sort((a, b) => a - b);
    return {
      run,
      predictions: predictions.length,
      // On the fake's simulated clock (clockOrigin): when the creates and the predictions ended.
      timeline: {
        lastCreateS: ((created.at(-1) ?? clockOrigin) - clockOrigin) / 1000,
        lastCompletedS: ((completed.at(-1) ?? clockOrigin) - clockOrigin) / 1000,
        runS: run.runMs / context.time.timeScale / 1000,
      },
      used: new Set(chainsOf(run.result).flat()).size,
      errors: run.result.recipes.flatMap((r) => r.assets.flatMap((a) => (a.error ? [a.error] : []))),
      creates: counts.create,
      apiRequests: counts.total - counts.download,
      fired: await fake.faults(),
    };
  } finally {
    await fake.close();
  }
}

const count = (warnings: readonly string[], pattern: RegExp): number =>
  warnings.filter((w) => pattern.test(w)).length;

export async function transientFaultRows(context: BenchContext): Promise<ScenarioRow[]> {
  const assets = context.options.quick ? 100 : 300;
  const concurrency = context.sizes.concurrency;
  const recipe = pipelineRecipe(assets, concurrency);
  const spec = pipelineSpec(DEFAULT_CREATES_PER_MINUTE, context.time);
  context.log(`S8: ${assets} assets × 3 steps at ${DEFAULT_CREATES_PER_MINUTE} creates/min, fault-free`);
  const clean = await batch(context, 'faults-clean', recipe, spec);
  context.log(`S8: the same with ${FAULT_RATE * 100} % transient faults`);
  const faulty = await batch(context, 'faults-10', recipe, {
    ...spec,
    faults: { rate: FAULT_RATE, seed: 42 },
  });
  const ratio = faulty.run.runMs / clean.run.runMs;
  const duplicates = faulty.predictions - faulty.used;
  const fired = Object.values(faulty.fired).reduce((a, b) => a + b, 0);
  const ok = faulty.run.result.failed === 0 && clean.run.result.failed === 0;
  const w = faulty.run.warnings;
  return [
    {
      id: 'S8',
      title: `${assets} assets × 3 steps with ${FAULT_RATE * 100} % transient faults / fault-free`,
      value: round(ratio, 3),
      unit: '×',
      target: '≤ 1.5, 0 duplicates',
      met: ratio <= 1.5 && duplicates === 0 && ok,
      summary:
        `${seconds(faulty.run.runMs)} vs ${seconds(clean.run.runMs)}; ${fired} faults fired ` +
        `(${Object.entries(faulty.fired)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')}) in ${faulty.apiRequests} API requests; ${duplicates} duplicate creates, ` +
        `${count(w, /adopted prediction/)} adopted, ${faulty.run.result.failed} failed; ` +
        `rate cuts ${count(w, /pacing creates/)}`,
      details: {
        cleanMs: round(clean.run.runMs, 1),
        faultyMs: round(faulty.run.runMs, 1),
        fired: faulty.fired,
        creates: faulty.creates,
        predictions: faulty.predictions,
        used: faulty.used,
        duplicates,
        failed: faulty.run.result.failed,
        apiRequests: { clean: clean.apiRequests, faulty: faulty.apiRequests },
        errors: faulty.errors.slice(0, 5),
        timeline: { clean: clean.timeline, faulty: faulty.timeline },
        warnings: w.filter((m) => /pacing|limit/.test(m)).slice(0, 5),
      },
    },
  ];
}

export async function lowCreditRows(context: BenchContext): Promise<ScenarioRow[]> {
  const assets = context.options.quick ? 10 : 30;
  const concurrency = 8;
  const spec: FakeSpec = {
    ...fastSpec(DEFAULT_CREATES_PER_MINUTE, context.time),
    rateLimits: { create: LOW_CREDIT_PER_MINUTE, other: 1_000_000, lowCredit: true },
  };
  context.log(
    `S9: ${assets} assets on a low-credit account (6 creates/min, burst 1), concurrency ${concurrency}`,
  );
  const b = await batch(context, 'low-credit', fastRecipe(assets, concurrency), spec);
  const throttled = b.creates - b.predictions;
  // No schedule beats one create per 10 s after the first, plus the last prediction's run.
  const boundMs =
    ((assets - 1) * (60_000 / LOW_CREDIT_PER_MINUTE) + 0.25 * SIM_MS_PER_UNIT) * context.time.timeScale;
  const ratio = b.run.runMs / boundMs;
  return [
    {
      id: 'S9',
      title: `Low-credit account (6/min, burst 1): 429s drawn by ${assets} creates`,
      value: throttled,
      unit: '429s',
      target: '≤ 5',
      met: throttled <= 5 && b.run.result.failed === 0 && b.predictions === assets,
      summary:
        `${b.creates} creates for ${b.predictions} predictions, ${b.run.result.failed} failed; ` +
        `${seconds(b.run.runMs)} = ${round(ratio, 3)}× the rate bound ${seconds(boundMs)} ` +
        `(${round((b.run.runMs / context.time.timeScale / 60_000) * 60, 0)} s simulated)`,
      details: {
        throttled,
        creates: b.creates,
        predictions: b.predictions,
        makespanMs: round(b.run.runMs, 1),
        boundMs: round(boundMs, 1),
        ratioToBound: round(ratio, 3),
        warnings: b.run.warnings.filter((m) => /pacing|limit/.test(m)).slice(0, 5),
      },
    },
  ];
}
