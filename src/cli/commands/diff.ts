import { relative } from 'node:path';
import { createChangeReport, describeCost, formatScore, summarizeReasons } from '../../diff/index.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../output.js';

export interface DiffCommandOptions {
  to?: string;
  markdown?: string;
  failOnChange?: boolean;
}

const SHOWN = 50;

/**
 * `assetgen diff <base-out> <head-out>`: writes the change report and prints one line per changed,
 * added or removed asset. `--markdown -` prints the Markdown on stdout (the lines then go to stderr).
 */
export async function diffCommand(
  base: string,
  head: string,
  options: DiffCommandOptions,
  io: CliIO,
): Promise<number> {
  const toStdout = options.markdown === '-';
  const report = await createChangeReport({
    base,
    head,
    cwd: io.cwd,
    ...(options.to === undefined ? {} : { to: options.to }),
    ...(options.markdown === undefined || toStdout ? {} : { markdownFile: options.markdown }),
  });
  const say = toStdout ? io.err : io.out;
  const listed = report.diff.assets.filter((asset) => asset.change !== 'unchanged');
  for (const asset of listed.slice(0, SHOWN)) {
    const score = report.visuals.get(asset.label)?.score;
    const details =
      asset.change === 'changed'
        ? ` ${summarizeReasons(asset.reasons)}${score === undefined ? '' : `; ${formatScore(score)} of pixels differ`}`
        : '';
    say(`${asset.change.padEnd(8)} ${asset.label}${details}`);
  }
  if (listed.length > SHOWN) say(`… and ${listed.length - SHOWN} more (see the report)`);
  const { changed, added, removed, unchanged } = report.diff.counts;
  say(
    `${changed} changed, ${added} added, ${removed} removed, ${unchanged} unchanged; ${describeCost(report.diff.cost)}` +
      ` → ${relative(io.cwd, report.htmlFile) || report.htmlFile}` +
      (report.markdownFile === undefined ? '' : `, ${relative(io.cwd, report.markdownFile)}`),
  );
  if (toStdout) io.out(report.markdown.trimEnd());
  return options.failOnChange === true && report.changed ? EXIT.assetFailed : EXIT.ok;
}
