import { updatePins } from '../../api/update.js';
import { cacheOptions } from '../cache-options.js';
import { EXIT } from '../exit-codes.js';
import { replicateOptions } from '../library-options.js';
import { type RecipeLimitFlags, recipeLimits } from '../option-parsers.js';
import type { CliIO } from '../output.js';

export interface UpdateCommandOptions extends RecipeLimitFlags {
  model?: string[];
  lock?: string;
  cacheDir?: string;
  /** `--cache s3://…`: the shared cache behind the folder. */
  cache?: string;
  baseUrl?: string;
}

const short = (hash: string | null): string | undefined =>
  hash === null ? undefined : `${hash.slice(0, 12)}…`;

/** `assetgen update <files…> [--model m…]`: move the lock's pins to the latest versions and schemas, saying what changed. */
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
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    ...cacheOptions(options.cache, io),
  });
  for (const pin of report.pins) {
    const { model, before, after } = pin;
    const schemaMoved = pin.schemaBefore !== pin.schemaAfter;
    if (before === after && !schemaMoved) {
      io.out(`${model}: ${after ?? 'no version'} (unchanged)`);
      continue;
    }
    io.out(
      before === after
        ? `${model}: schema ${short(pin.schemaBefore) ?? 'unpinned'} → ${short(pin.schemaAfter)}${pin.official ? ' (official: no versions)' : ''}`
        : `${model}: ${before ?? 'unpinned'} → ${after ?? 'no version'}`,
    );
    for (const change of pin.changes) io.out(`  ${change.text}`);
    if (pin.output !== undefined) io.out(`  output: ${pin.output}`);
    if (pin.changes.length === 0 && pin.output === undefined && before !== null) io.out('  inputs unchanged');
  }
  io.out(
    report.changed > 0
      ? `updated ${report.changed} pin${report.changed === 1 ? '' : 's'} in ${report.lockPath}`
      : 'all pins are current',
  );
  return EXIT.ok;
}
