/**
 * The short table of what a run wrote, printed at its end: one row per file (path relative to the current
 * folder, dimensions, bytes), folded into one row per folder when there are many, and the folders folded
 * too past a limit. Memory stays bounded: only the first rows and per-folder totals are kept.
 */
import { dirname, relative, resolve, sep } from 'node:path';
import type { Paint } from './colour.js';
import { formatBytes, plural } from './format.js';

export interface WrittenOutput {
  /** Relative to the output directory. */
  path: string;
  width: number;
  height: number;
  bytes: number;
}

interface Row {
  path: string;
  size: string;
  bytes: number;
}

export interface OutputsTable {
  add(outDir: string, outputs: readonly WrittenOutput[]): void;
  /** The lines to print (none when nothing was written). */
  render(paint: Paint): string[];
}

export function createOutputsTable(cwd: string, limit = 12): OutputsTable {
  let files = 0;
  let bytes = 0;
  const first: Row[] = [];
  const folders = new Map<string, { files: number; bytes: number }>();
  const shown = (path: string): string => relative(cwd, path).split(sep).join('/') || '.';

  return {
    add(outDir, outputs) {
      for (const output of outputs) {
        const path = resolve(outDir, output.path);
        files++;
        bytes += output.bytes;
        if (first.length <= limit) {
          first.push({ path: shown(path), size: `${output.width}×${output.height}`, bytes: output.bytes });
        }
        const folder = `${shown(dirname(path))}/`;
        const total = folders.get(folder) ?? { files: 0, bytes: 0 };
        total.files++;
        total.bytes += output.bytes;
        folders.set(folder, total);
      }
    },
    render(paint) {
      if (files === 0) return [];
      const total = `${plural(files, 'file')}, ${formatBytes(bytes)}`;
      if (files <= limit) {
        const rows = [...first].sort((a, b) => a.path.localeCompare(b.path));
        return [`Outputs (${total}):`, ...columns(rows, paint)];
      }
      const byFolder = [...folders.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([path, folder]) => ({ path, size: plural(folder.files, 'file'), bytes: folder.bytes }));
      const lines = [`Outputs (${total}, by folder):`];
      if (byFolder.length <= limit) return [...lines, ...columns(byFolder, paint)];
      const kept = byFolder.slice(0, limit - 2);
      const rest = byFolder.slice(limit - 2);
      const restFiles = rest.reduce((sum, row) => sum + Number.parseInt(row.size, 10), 0);
      const restBytes = rest.reduce((sum, row) => sum + row.bytes, 0);
      return [
        ...lines,
        ...columns(kept, paint),
        paint(
          'dim',
          `  … ${plural(rest.length, 'more folder')} (${plural(restFiles, 'file')}, ${formatBytes(restBytes)})`,
        ),
      ];
    },
  };
}

function columns(rows: readonly Row[], paint: Paint): string[] {
  const pathWidth = Math.max(...rows.map((row) => row.path.length));
  const sizeWidth = Math.max(...rows.map((row) => row.size.length));
  const sizes = rows.map((row) => formatBytes(row.bytes));
  const bytesWidth = Math.max(...sizes.map((size) => size.length));
  return rows.map(
    (row, i) =>
      `  ${row.path.padEnd(pathWidth)}  ${paint('dim', row.size.padStart(sizeWidth))}  ${(sizes[i] ?? '').padStart(bytesWidth)}`,
  );
}
