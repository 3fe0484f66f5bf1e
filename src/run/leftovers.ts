/**
 * Temporary files that a killed assetgen left in a folder: pre-flight probes
 * (`.assetgen-preflight-<pid>-<hex>.tmp`) and atomic-write temporaries (`.<name>.<pid>.<hex>.tmp`) of a
 * process on this machine that no longer exists. Pre-flight removes them from the output folder before
 * it probes it, so the output folder holds only outputs and `manifest.json`.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { processExists } from '../store/claim-record.js';

const PATTERNS = [/^\.assetgen-preflight-(\d+)-[0-9a-f]{8}\.tmp$/, /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/];

/** The process id in the name of an assetgen temporary file, or undefined for any other name. */
export function leftoverPid(name: string): number | undefined {
  for (const pattern of PATTERNS) {
    const match = pattern.exec(name);
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  return undefined;
}

/** Removes the temporary files of dead assetgen processes directly in `folder`; returns their names. */
export async function removeLeftovers(
  folder: string,
  isAlive: (pid: number) => boolean = processExists,
): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = leftoverPid(name);
    if (pid === undefined || pid === process.pid || isAlive(pid)) continue;
    await rm(join(folder, name), { force: true }).catch(() => {});
    removed.push(name);
  }
  return removed;
}
