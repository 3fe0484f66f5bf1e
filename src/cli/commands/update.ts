import { updatePins } from '../../api/update.js';
import { EXIT } from '../exit-codes.js';
import { replicateOptions } from '../library-options.js';
import { type RecipeLimitFlags, recipeLimits } from '../option-parsers.js';
import type { CliIO } from '../output.js';

export interface UpdateCommandOptions extends RecipeLimitFlags {
  model?: string[];
  lock?: string;
  baseUrl?: string;
}

/** `assetgen update <files…> [--model m…]`: re-resolve community models' latest versions into the lock. */
export async function updateCommand(
  files: readonly string[],
  options: UpdateCommandOptions,
  io: CliIO,
): Promise<number> {
  const report = await updatePins(files, {
    cwd: io.cwd,
    replicate: replicateOptions(options, io),
    ...recipeLimits(options),
    onWarning: (message) => io.err(`warning: ${message}`),
    ...(options.model === undefined ? {} : { models: options.model }),
    ...(options.lock === undefined ? {} : { lock: options.lock }),
  });
  for (const { model, before, after } of report.pins) {
    io.out(
      before === after
        ? `${model}: ${after ?? 'no version'} (unchanged)`
        : `${model}: ${before ?? 'unpinned'} → ${after ?? 'no version'}`,
    );
  }
  io.out(
    report.changed > 0
      ? `updated ${report.changed} pin${report.changed === 1 ? '' : 's'} in ${report.lockPath}`
      : 'all pins are current',
  );
  return EXIT.ok;
}
