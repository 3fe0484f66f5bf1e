/** Shared by plan and run: load recipes into a plan, pick the provider, probe the cache, check the budget. */
import { join, resolve } from 'node:path';
import { BudgetError, FrozenError, UsageError } from '../errors.js';
import { type Catalog, createCatalog } from '../models/catalog.js';
import { formatUsd } from '../plan/cost.js';
import { createPlan, type Plan } from '../plan/plan.js';
import { type PlanSummary, summarizePlan } from '../plan/summary.js';
import type { Provider } from '../providers/types.js';
import { loadRecipes } from '../recipe/index.js';
import { runPlan } from '../run/runner.js';
import { createCache } from '../store/cache.js';
import { LOCK_FILE, type LockFileContent } from '../store/lock.js';
import type { CliIO } from './output.js';
import { recipePaths } from './recipe-paths.js';

export interface ProviderChoice {
  name: 'local' | 'replicate';
  paid: boolean;
  /** Why this provider (said once at the start of a run). */
  reason: string;
}

export function chooseProvider(
  requested: string | undefined,
  io: CliIO,
  options: { frozen?: boolean } = {},
): ProviderChoice {
  const token = io.env.REPLICATE_API_TOKEN;
  if (options.frozen === true && requested !== 'local') {
    // Frozen runs never call a provider: they check the replicate results recorded in the cache and lock.
    return {
      name: 'replicate',
      paid: true,
      reason: '--frozen: cached Replicate results only, nothing is created',
    };
  }
  if (requested === 'replicate' || (requested !== 'local' && token)) {
    if (!token) {
      throw new UsageError('--provider replicate needs REPLICATE_API_TOKEN in the environment');
    }
    return { name: 'replicate', paid: true, reason: 'REPLICATE_API_TOKEN is set' };
  }
  return {
    name: 'local',
    paid: false,
    reason:
      requested === 'local'
        ? '--provider local'
        : 'no REPLICATE_API_TOKEN: using the offline local provider (placeholders and stand-ins, no cost)',
  };
}

/** A provider that only names itself: for plans, probes and frozen runs, which never call it. */
export function offlineStandIn(choice: ProviderChoice): Provider {
  return {
    name: choice.name,
    paid: choice.paid,
    predict: async () => {
      throw new FrozenError(`${choice.name} is not called in this mode`);
    },
  };
}

export async function createProvider(
  choice: ProviderChoice,
  options: ReplicateCliOptions,
  io: CliIO,
): Promise<Provider> {
  if (choice.name === 'local') {
    const { createLocalProvider } = await import('../providers/local/index.js');
    return createLocalProvider();
  }
  const { createReplicateProvider } = await import('../providers/replicate/index.js');
  const baseUrl = options.baseUrl ?? io.env.REPLICATE_API_BASE_URL;
  const webhookSecret = io.env.REPLICATE_WEBHOOK_SECRET;
  return createReplicateProvider({
    token: io.env.REPLICATE_API_TOKEN ?? '',
    ...(baseUrl === undefined ? {} : { baseUrl }),
    ...(options.wait === undefined ? {} : { waitSeconds: options.wait }),
    ...(options.stepTimeout === undefined ? {} : { stepTimeoutMs: options.stepTimeout * 1000 }),
    ...(options.webhookUrl === undefined
      ? {}
      : {
          webhook: {
            url: options.webhookUrl,
            listen: { host: options.webhookHost ?? '127.0.0.1', port: options.webhookPort ?? 0 },
            ...(webhookSecret === undefined ? {} : { secret: webhookSecret }),
          },
        }),
    onWarning: (message: string) => io.err(`warning: ${message}`),
  });
}

export interface ReplicateCliOptions {
  baseUrl?: string;
  wait?: number;
  stepTimeout?: number;
  webhookUrl?: string;
  webhookPort?: number;
  webhookHost?: string;
}

export async function loadPlan(
  files: readonly string[],
  cwd: string,
  catalog: Catalog = createCatalog(),
): Promise<Plan> {
  const recipes = await loadRecipes(recipePaths(files, cwd), { catalog });
  return createPlan(recipes, catalog);
}

export type CachedSteps = (asset: string, step: string) => boolean;

/** Which steps' results are already in the cache (a look-up-only pass: nothing runs, nothing is spent). */
export async function probeCache(
  plan: Plan,
  choice: ProviderChoice,
  cacheDir: string,
  lock: LockFileContent,
): Promise<CachedSteps> {
  const result = await runPlan(plan, {
    provider: offlineStandIn(choice),
    cache: createCache(cacheDir),
    outDir: cacheDir,
    probe: true,
    lock,
  });
  const cached = new Set<string>();
  for (const recipe of result.recipes) {
    for (const [index, asset] of recipe.assets.entries()) {
      const key = recipe.recipe.assets[index]?.key ?? '';
      for (const step of asset.steps) if (step.cache_hit) cached.add(`${key}#${step.id}`);
    }
  }
  return (asset, step) => cached.has(`${asset}#${step}`);
}

/** Where the lock lives: `--lock`, else `assetgen.lock` beside the first recipe. */
export function lockPathFor(plan: Plan, explicit: string | undefined, cwd: string): string {
  if (explicit !== undefined) return resolve(cwd, explicit);
  return join(plan.recipes[0]?.loaded.dir ?? cwd, LOCK_FILE);
}

/** Refuses (BudgetError, exit 3) when an estimate exceeds a recipe's budget or --max-cost. */
export function checkBudget(
  plan: Plan,
  choice: ProviderChoice,
  maxUsd: number | undefined,
  isCached?: CachedSteps,
): PlanSummary {
  const base = { provider: choice.name, paid: choice.paid, ...(isCached === undefined ? {} : { isCached }) };
  const summary = summarizePlan(plan, { ...base, ...(maxUsd === undefined ? {} : { maxUsd }) });
  if (!choice.paid) return summary;
  for (const recipe of plan.recipes) {
    if (recipe.maxUsd === undefined) continue;
    const own = summarizePlan({ recipes: [recipe] }, { ...base, paid: true });
    refuseOver(own.estimatedUsd, recipe.maxUsd, `recipe ${recipe.name} (budget.max_usd)`);
  }
  if (maxUsd !== undefined) refuseOver(summary.estimatedUsd, maxUsd, '--max-cost');
  return summary;
}

function refuseOver(estimate: number | null, max: number, what: string): void {
  if (estimate === null) {
    throw new BudgetError(
      `the cost of some tasks is unknown, so ${what} ${formatUsd(max)} cannot be guaranteed: give uncatalogued models a price:`,
      Number.NaN,
      max,
    );
  }
  if (estimate > max + 1e-12) {
    throw new BudgetError(
      `estimated cost ${formatUsd(estimate)} exceeds ${what} ${formatUsd(max)}; nothing was run (raise the budget or reduce the plan)`,
      estimate,
      max,
    );
  }
}
