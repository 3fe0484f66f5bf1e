import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ManifestError, UsageError } from '../../errors.js';
import { MANIFEST_FILE } from '../../manifest/read.js';
import { type ReviewReport, writeReviewPage } from '../../review/index.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../output.js';

export interface ReviewCommandOptions {
  out: string;
  to: string;
  cacheDir: string;
}

const SHOWN_PROBLEMS = 10;
const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** Prints what a written review page holds; shared by `review` and `run --review`. */
export function printReview(report: ReviewReport, io: CliIO): void {
  const { made, kept, failed } = report.thumbnails;
  const where = relative(io.cwd, report.path) || report.path;
  io.err(
    `review: ${plural(report.cards, 'card')} from ${plural(report.recipes, 'recipe')} → ${where}` +
      ` (thumbnails: ${made} made, ${kept} unchanged${failed > 0 ? `, ${failed} failed` : ''})` +
      ` in ${(report.durationMs / 1000).toFixed(1)}s`,
  );
  for (const problem of report.problems.slice(0, SHOWN_PROBLEMS)) io.err(`  warning: ${problem}`);
  if (report.problems.length > SHOWN_PROBLEMS)
    io.err(`  … and ${report.problems.length - SHOWN_PROBLEMS} more images without a preview`);
}

/** `assetgen review [--out DIR] [--to DIR]`: writes the review page; prints its file:// URL on stdout. */
export async function reviewCommand(options: ReviewCommandOptions, io: CliIO): Promise<number> {
  const outDir = resolve(io.cwd, options.out);
  const manifestLabel = relative(io.cwd, resolve(outDir, MANIFEST_FILE));
  const report = await writeReviewPage({
    outDir,
    to: resolve(io.cwd, options.to),
    cacheDir: resolve(io.cwd, options.cacheDir),
    manifestLabel,
  }).catch((error: unknown) => {
    if (error instanceof ManifestError && error.code === 'MANIFEST_MISSING')
      throw new UsageError(
        `no manifest at ${manifestLabel}: run \`assetgen run <recipes…>\` first, or pass --out with the folder that holds ${MANIFEST_FILE}`,
      );
    throw error;
  });
  printReview(report, io);
  io.out(pathToFileURL(report.path).href);
  return EXIT.ok;
}
