import type { LocalUpscalerName } from '../../api/options.js';
import { checkRecipes, type RunReport, runRecipes } from '../../api/run.js';
import { UsageError } from '../../errors.js';
import { formatUsd } from '../../plan/cost.js';
import type { ShardSpec } from '../../plan/shard.js';
import type { RunEvent } from '../../run/events.js';
import { formatSpend } from '../../run/spend.js';
import { cacheOptions } from '../cache-options.js';
import type { CommandOutput } from '../command-output.js';
import { EXIT } from '../exit-codes.js';
import {
  c2paOptions,
  isCi,
  providerName,
  type ReplicateFlags,
  replicateOptions,
} from '../library-options.js';
import { type RecipeLimitFlags, recipeLimits } from '../option-parsers.js';
import type { CliIO } from '../output.js';
import { createProgress } from '../progress.js';
import { staleLines } from '../stale-lines.js';

export interface RunCommandOptions extends ReplicateFlags, RecipeLimitFlags {
  out: string;
  provider?: string;
  localUpscaler?: LocalUpscalerName;
  concurrency?: number;
  localConcurrency?: number;
  maxCost?: number;
  cacheDir: string;
  /** `--cache s3://…`: the shared cache behind the folder. */
  cache?: string;
  force?: boolean | string[];
  frozen?: boolean;
  lock?: string;
  /** `--shard i/n`, parsed. */
  shard?: ShardSpec;
  /** `--rate`: creates per minute. */
  rate?: number;
  quiet?: boolean;
  /** Write the review page at the end (`assetgen review` with the same output and cache folders). */
  review?: boolean;
  /** After the run, remove stale outputs (files assetgen wrote that the manifest no longer lists). */
  prune?: boolean;
  /** `check`: verify only — write no output files, manifest or lock. */
  checkOnly?: boolean;
  /** `--c2pa-cert`, `--c2pa-key`: sign the outputs (paths to PEM files). */
  c2paCert?: string;
  c2paKey?: string;
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

/**
 * `assetgen run <files…>` (and `check`): exit 0 all made, 1 an asset failed (or, frozen, would need a paid
 * task), 2 invalid, 3 over budget, 130 interrupted. What a run does lives in the library (src/api/run.ts).
 */
export async function runCommand(
  files: readonly string[],
  options: RunCommandOptions,
  output: CommandOutput,
): Promise<number> {
  const { io } = output;
  if (options.checkOnly === true && options.prune === true)
    throw new UsageError(
      'check writes nothing, so --prune removes nothing there; in CI use assetgen run --frozen --prune (restores, then prunes)',
    );
  const c2pa = options.checkOnly === true ? undefined : c2paOptions(options, io);
  const controller = new AbortController();
  options.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const removeHandlers = options.signal === undefined ? interruptHandlers(controller, io) : () => {};
  const progress = createProgress(io, { quiet: options.quiet === true });
  const common = {
    cwd: io.cwd,
    cacheDir: options.cacheDir,
    replicate: {
      ...replicateOptions(options, io),
      ...(options.rate === undefined ? {} : { createsPerMinute: options.rate }),
    },
    ...cacheOptions(options.cache, io),
    ...recipeLimits(options),
    signal: controller.signal,
    onEvent: (event: RunEvent) => {
      if (event.type === 'run-started') io.err(`provider: ${event.provider} (${event.reason})`);
      progress.onEvent(event);
      output.event(event);
    },
    ...(options.provider === undefined ? {} : { provider: providerName(options.provider) }),
    ...(options.localUpscaler === undefined ? {} : { localUpscaler: options.localUpscaler }),
    ...(options.lock === undefined ? {} : { lock: options.lock }),
    ...(options.shard === undefined ? {} : { shard: options.shard }),
  };
  try {
    const report =
      options.checkOnly === true
        ? await checkRecipes(files, common)
        : await runRecipes(files, {
            ...common,
            out: options.out,
            force: options.force ?? false,
            frozen: options.frozen === true,
            offlineFallback: !isCi(io.env),
            prune: options.prune === true,
            returnManifest: false,
            ...(c2pa === undefined ? {} : { c2pa }),
            ...(options.maxCost === undefined ? {} : { maxUsd: options.maxCost }),
            ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
            ...(options.localConcurrency === undefined ? {} : { localConcurrency: options.localConcurrency }),
          });
    progress.stop();
    output.run(report);
    for (const line of summaryLines(report)) io.err(line);
    if (report.stale !== null) for (const line of staleLines(report.stale, io.cwd)) io.err(line);
    if (options.review === true && report.manifestPath !== null)
      await (await import('./review.js')).reviewCommand({ ...options, to: '.assetgen/review' }, io);
    if (report.status === 'cancelled') return EXIT.interrupted;
    return report.status === 'ok' ? EXIT.ok : EXIT.assetFailed;
  } finally {
    progress.stop();
    removeHandlers();
  }
}

function summaryLines(report: RunReport): string[] {
  const verb = report.status === 'cancelled' ? 'interrupted' : report.mode === 'check' ? 'checked' : 'done';
  const where = report.manifestPath === null ? '' : ` → ${report.manifestPath}`;
  const why = report.stopped === null ? 'budget' : 'not started';
  const lines = report.stopped === null ? [] : [`error: stopped: ${report.stopped}`];
  lines.push(
    `${verb}: made ${report.made}, cached ${report.cached}, failed ${report.failed}` +
      `${report.skipped > 0 ? `, skipped ${report.skipped} (${why})` : ''}, ` +
      formatSpend(
        report.spend,
        `estimated ${formatUsd(report.estimate.estimatedUsd)}${report.provider.paid ? '' : `; on Replicate ${formatUsd(report.estimate.replicateUsd)}`}`,
      ) +
      ` in ${(report.durationMs / 1000).toFixed(1)}s${where}`,
  );
  if (report.mode !== 'run' && report.status === 'failed') {
    const count = report.problems.length;
    const what = `${count} asset${count === 1 ? '' : 's'} would have to run or failed (listed above)`;
    lines.push(
      report.mode === 'frozen'
        ? `--frozen: ${what}; nothing was written: the manifest, the output files and the lock are as they were`
        : `check: ${what}`,
    );
  }
  return lines;
}
