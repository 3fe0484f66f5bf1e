import { resolve } from 'node:path';
import { writeManifest } from '../../manifest/write.js';
import { formatUsd } from '../../plan/cost.js';
import type { Provider } from '../../providers/types.js';
import { runPlan } from '../../run/runner.js';
import { createCache } from '../../store/cache.js';
import { type Journal, openJournal } from '../../store/journal.js';
import { readLock, writeLock } from '../../store/lock.js';
import { EXIT } from '../exit-codes.js';
import { mergeLock } from '../lock-merge.js';
import type { CliIO } from '../output.js';
import { createProgress } from '../progress.js';
import {
  checkBudget,
  chooseProvider,
  createProvider,
  loadPlan,
  lockPathFor,
  offlineStandIn,
  probeCache,
  type ReplicateCliOptions,
} from '../session.js';
import { VERSION } from '../version.js';

export interface RunCommandOptions extends ReplicateCliOptions {
  out: string;
  provider?: string;
  concurrency?: number;
  localConcurrency?: number;
  maxCost?: number;
  cacheDir: string;
  force?: boolean | string[];
  frozen?: boolean;
  lock?: string;
  quiet?: boolean;
  /** `check`: verify only — write no output files, manifest or lock. */
  checkOnly?: boolean;
  /** For tests: an abort signal instead of SIGINT/SIGTERM handlers. */
  signal?: AbortSignal;
}

/** Ctrl-C / SIGTERM: the first stops scheduling and cancels in-flight work; a second exits at once. */
function interruptHandlers(controller: AbortController, io: CliIO): () => void {
  const onSignal = () => {
    if (controller.signal.aborted) {
      io.err('interrupted again: exiting now');
      process.exit(EXIT.interrupted);
    }
    io.err('interrupted: stopping (in-flight work is being cancelled; Ctrl-C again to exit at once)');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

function firstDefined(values: readonly (number | undefined)[]): number | undefined {
  return values.find((value) => value !== undefined);
}

/**
 * `assetgen run <files…>` (and `check`): exit 0 all made, 1 an asset failed (or, frozen, would need a paid
 * task), 2 invalid, 3 over budget, 130 interrupted.
 */
export async function runCommand(
  files: readonly string[],
  options: RunCommandOptions,
  io: CliIO,
): Promise<number> {
  const frozen = options.frozen === true || options.checkOnly === true;
  const plan = await loadPlan(files, io.cwd);
  const choice = chooseProvider(options.provider, io, { frozen });
  const cacheDir = resolve(io.cwd, options.cacheDir);
  const lockPath = lockPathFor(plan, options.lock, io.cwd);
  const lock = await readLock(lockPath);
  const cached = await probeCache(plan, choice, cacheDir, lock);
  const summary = checkBudget(plan, choice, options.maxCost, cached);
  io.err(`provider: ${choice.name} (${choice.reason})`);
  const outDir = resolve(io.cwd, options.out);
  const controller = new AbortController();
  options.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const removeHandlers = options.signal === undefined ? interruptHandlers(controller, io) : () => {};
  const provider: Provider = frozen ? offlineStandIn(choice) : await createProvider(choice, options, io);
  const journal: Journal | undefined = choice.paid && !frozen ? await openJournal(cacheDir) : undefined;
  const cache = createCache(cacheDir);
  const progress = createProgress(io, { quiet: options.quiet === true });
  const limits = plan.recipes.map((recipe) => recipe.loaded.recipe.concurrency);
  const models: Record<string, number> = {};
  for (const limit of limits) Object.assign(models, limit?.models ?? {});
  const remote = options.concurrency ?? firstDefined(limits.map((limit) => limit?.remote));
  const local = options.localConcurrency ?? firstDefined(limits.map((limit) => limit?.local));
  try {
    const result = await runPlan(plan, {
      provider,
      cache,
      outDir,
      signal: controller.signal,
      onEvent: (event) => progress.onEvent(event),
      ...(options.maxCost === undefined ? {} : { maxUsd: options.maxCost }),
      pools: {
        models,
        ...(remote === undefined ? {} : { remote }),
        ...(local === undefined ? {} : { local }),
      },
      force: options.force ?? false,
      frozen,
      lock,
      writeOutputs: options.checkOnly !== true,
      ...(journal === undefined ? {} : { journal }),
    });
    progress.stop();
    let where = '';
    if (options.checkOnly !== true) {
      const { path } = await writeManifest(outDir, result, { generatorVersion: VERSION, cwd: io.cwd });
      where = ` → ${path}`;
      if (choice.paid && !frozen)
        await writeLock(
          lockPath,
          mergeLock(lock, result.lock, plan, result.failed + result.skipped === 0 && !result.cancelled),
        );
    }
    const verb = result.cancelled ? 'interrupted' : options.checkOnly === true ? 'checked' : 'done';
    io.err(
      `${verb}: made ${result.made}, cached ${result.cached}, failed ${result.failed}` +
        `${result.skipped > 0 ? `, skipped ${result.skipped} (budget)` : ''}, spent ${formatUsd(result.spentUsd)}` +
        ` (estimated ${formatUsd(summary.estimatedUsd)}) in ${(result.durationMs / 1000).toFixed(1)}s${where}`,
    );
    if (result.cancelled) return EXIT.interrupted;
    return result.failed > 0 || result.skipped > 0 ? EXIT.assetFailed : EXIT.ok;
  } finally {
    progress.stop();
    removeHandlers();
    await journal?.close(async (key) => (await cache.get(key)) !== undefined);
    await provider.close?.();
  }
}
