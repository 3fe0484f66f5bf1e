/** The results: one table row per scenario on stdout, and bench/results.json with the machine. */
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import type { BenchOptions, ScenarioRow } from './context.js';

export function machine() {
  const list = cpus();
  return {
    cpus: list.length,
    model: list[0]?.model ?? 'unknown',
    memoryMb: Math.round(totalmem() / 2 ** 20),
    platform: `${process.platform} ${process.arch}`,
  };
}

const status = (row: ScenarioRow): string => (row.met === null ? '' : row.met ? 'met' : 'MISSED');

export function formatTable(rows: readonly ScenarioRow[]): string {
  const table = [
    ['id', 'scenario', 'result', 'target', 'status', 'numbers'],
    ...rows.map((row) => [
      row.id,
      row.title,
      `${row.value} ${row.unit}`,
      row.target,
      status(row),
      row.summary,
    ]),
  ];
  const widths = (table[0] ?? []).map((_, col) => Math.max(...table.map((r) => (r[col] ?? '').length)));
  return table
    .map((r) => r.map((cell, col) => (col === 5 ? cell : cell.padEnd(widths[col] ?? 0))).join('  '))
    .join('\n');
}

export async function writeResults(
  options: BenchOptions,
  unitMs: number,
  rows: readonly ScenarioRow[],
  errors: string[],
) {
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    machine: machine(),
    options: { quick: options.quick, only: [...options.only], unitMs },
    rows,
    errors,
  };
  await writeFile(options.resultsPath, `${JSON.stringify(results, null, 2)}\n`);
}
