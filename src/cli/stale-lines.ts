/**
 * The summary's lines about stale outputs (RunReport.stale): how many files assetgen wrote that the
 * manifest no longer lists, the first few of them (paths relative to the current folder), and the hint
 * `run --prune`; after `--prune`, what it removed and what it kept and why.
 */
import { join, relative } from 'node:path';
import type { StaleOutputs } from '../api/stale-outputs.js';
import { plural } from './format.js';

/** Paths listed before folding the rest into "… and N more". */
const SHOWN = 5;

export function staleLines(stale: StaleOutputs, cwd: string): string[] {
  const shown = (path: string) => relative(cwd, join(stale.outDir, path)) || '.';
  const folder = `${relative(cwd, stale.outDir) || '.'}/`;
  const listing = (paths: readonly string[], detail?: (index: number) => string): string[] => {
    const lines = paths.slice(0, SHOWN).map((path, index) => `  ${shown(path)}${detail?.(index) ?? ''}`);
    if (paths.length > SHOWN) lines.push(`  … and ${paths.length - SHOWN} more`);
    return lines;
  };
  const lines: string[] = [];
  const count = stale.stale.length;
  if (stale.pruned) {
    if (count > 0) {
      const folders = stale.removedFolders.length;
      lines.push(
        `pruned: removed ${plural(count, 'stale file')} from ${folder}` +
          (folders > 0 ? ` and ${plural(folders, 'empty folder')}` : ''),
      );
      lines.push(...listing(stale.stale));
    }
  } else if (count > 0) {
    lines.push(
      `${plural(count, 'stale file')} in ${folder}: assetgen wrote ${count === 1 ? 'it' : 'them'}, the manifest no longer lists ${count === 1 ? 'it' : 'them'} (run --prune to remove ${count === 1 ? 'it' : 'them'})`,
    );
    lines.push(...listing(stale.stale));
  }
  const changed = stale.kept.filter((kept) => kept.reason !== 'unfinished');
  if (changed.length > 0) {
    lines.push(
      stale.pruned
        ? `kept ${plural(changed.length, 'file')} that the manifest no longer lists but assetgen did not remove:`
        : `${plural(changed.length, 'more file')} that assetgen wrote there changed since: --prune leaves ${changed.length === 1 ? 'it' : 'them'} alone`,
    );
    if (stale.pruned)
      lines.push(
        ...listing(
          changed.map((kept) => kept.path),
          (i) => ` (${changed[i]?.detail})`,
        ),
      );
  }
  const unfinished = stale.kept.length - changed.length;
  if (stale.pruned && unfinished > 0)
    lines.push(`kept ${plural(unfinished, 'earlier file')} of assets that did not finish in this run`);
  return lines;
}
