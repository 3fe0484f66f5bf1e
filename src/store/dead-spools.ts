/**
 * Spool files of runs that were killed: a spool is named with its process id (`.<what>.<pid>.<hex>.spool`),
 * and one whose process is gone will never be finished, so the next run in that folder removes it.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { processExists } from './claim-record.js';

/** Removes the spools in `dir` whose name matches `pattern` (group 1: the pid) and whose process is gone. */
export async function removeDeadSpools(dir: string, pattern: RegExp): Promise<void> {
  for (const name of await readdir(dir)) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || processExists(pid)) continue;
    await rm(join(dir, name), { force: true }).catch(() => {});
  }
}
