import { relative } from 'node:path';
import { mergeShards } from '../../api/merge.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../output.js';

/** `assetgen merge [--out DIR] [--lock FILE]`: exit 0 merged, 2 refused (a part missing or not of one run). */
export async function mergeCommand(options: { out: string; lock?: string }, io: CliIO): Promise<number> {
  const report = await mergeShards({
    cwd: io.cwd,
    out: options.out,
    ...(options.lock === undefined ? {} : { lock: options.lock }),
  });
  const where = (path: string) => relative(io.cwd, path) || '.';
  const lock = report.lockPath === null ? '' : ` and ${where(report.lockPath)}`;
  io.err(
    `merged ${report.shards} shard${report.shards === 1 ? '' : 's'}: ${report.assets} assets of ${report.recipes.length} recipe${report.recipes.length === 1 ? '' : 's'} → ${where(report.manifestPath)}${lock}`,
  );
  return EXIT.ok;
}
