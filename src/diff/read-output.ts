/**
 * Opens an output folder for the change report: the folder must exist and hold a `manifest.json` that
 * `readManifest` accepts (JSON, the schema, a format version this assetgen reads). Failures say which
 * side (base or head) and exit 2: a UsageError for the folder, a ManifestError for its manifest.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ManifestError, UsageError } from '../errors.js';
import { MANIFEST_FILE, readManifest } from '../manifest/read.js';
import type { Manifest } from '../manifest/types.js';

export interface OutputFolder {
  dir: string;
  manifest: Manifest;
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** `role` names the folder in messages (`base`, `head`). */
export async function readOutputFolder(dir: string, role: string): Promise<OutputFolder> {
  if (!(await isFolder(dir))) {
    throw new UsageError(
      `the ${role} folder ${dir} does not exist (expected the --out folder of an assetgen run)`,
    );
  }
  try {
    return { dir, manifest: await readManifest(join(dir, MANIFEST_FILE)) };
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    const code = error.code as ConstructorParameters<typeof ManifestError>[0];
    throw new ManifestError(code, error.path, `${role} folder: ${error.message}`, error.problems);
  }
}
