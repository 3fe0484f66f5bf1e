import { resolve } from 'node:path';
import { writeManifest } from '../../manifest/write.js';
import { formatUsd } from '../../plan/cost.js';
import { runPlan } from '../../run/runner.js';
import { createCache } from '../../store/cache.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../output.js';
import { createProgress } from '../progress.js';
import {
  checkBudget,
  chooseProvider,
  createProvider,
  loadPlan,
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
  quiet?: boolean;
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

/** `assetgen run <files…>`: exit 0 all made, 1 an asset failed, 2 invalid, 3 over budget, 130 interrupted. */
export async function runCommand(
  files: readonly string[],
  options: RunCommandOptions,
  io: CliIO,
): Promise<number> {
  const plan = await loadPlan(files);
  const choice = chooseProvider(options.provider, io);
  const summary = checkBudget(plan, choice, options.maxCost);
  io.err(`provider: ${choice.name} (${choice.reason})`);
  const outDir = resolve(io.cwd, options.out);
  const controller = new AbortController();
  options.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const removeHandlers = options.signal === undefined ? interruptHandlers(controller, io) : () => {};
  const provider = await createProvider(choice, options, io);
  const progress = createProgress(io, { quiet: options.quiet === true });
  const recipeConcurrency = plan.recipes.map((recipe) => recipe.loaded.recipe.concurrency);
  const models: Record<string, number> = {};
  for (const limits of recipeConcurrency) Object.assign(models, limits?.models ?? {});
  const remote = options.concurrency ?? firstDefined(recipeConcurrency.map((limits) => limits?.remote));
  const local = options.localConcurrency ?? firstDefined(recipeConcurrency.map((limits) => limits?.local));
  try {
    const result = await runPlan(plan, {
      provider,
      cache: createCache(resolve(io.cwd, options.cacheDir)),
      outDir,
      signal: controller.signal,
      onEvent: (event) => progress.onEvent(event),
      ...(options.maxCost === undefined ? {} : { maxUsd: options.maxCost }),
      pools: {
        models,
        ...(remote === undefined ? {} : { remote }),
        ...(local === undefined ? {} : { local }),
      },
      force: options.force === undefined ? false : options.force,
    });
    progress.stop();
    const { path } = await writeManifest(outDir, result, { generatorVersion: VERSION, cwd: io.cwd });
    io.err(
      `${result.cancelled ? 'interrupted' : 'done'}: made ${result.made}, cached ${result.cached}, failed ${result.failed}` +
        `${result.skipped > 0 ? `, skipped ${result.skipped} (budget)` : ''}, spent ${formatUsd(result.spentUsd)}` +
        ` (estimated ${formatUsd(summary.estimatedUsd)}) in ${(result.durationMs / 1000).toFixed(1)}s → ${path}`,
    );
    if (result.cancelled) return EXIT.interrupted;
    return result.failed > 0 || result.skipped > 0 ? EXIT.assetFailed : EXIT.ok;
  } finally {
    progress.stop();
    removeHandlers();
    await provider.close?.();
  }
}

function firstDefined(values: readonly (number | undefined)[]): number | undefined {
  return values.find((value) => value !== undefined);
}
