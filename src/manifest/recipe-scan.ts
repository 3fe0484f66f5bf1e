/**
 * The members of a manifest read without parsing it whole: its bytes are scanned once, in chunks, for
 * the structure only (strings, escapes, nesting), and just the top's `manifest_version` and the `recipes`
 * members a caller asks for are kept and parsed. A run of a recipe of 100,000 assets writes that recipe
 * anew, so its old entries (hundreds of MB of manifest) are skipped, never held (the scan:
 * store/json-scan.ts).
 */
import { type FileHandle, open } from 'node:fs/promises';
import { scanJson } from '../store/json-scan.js';
import { errnoOf } from '../store/write-errors.js';

export interface ScannedManifest {
  /** `manifest_version` as written (undefined when absent). */
  version: unknown;
  /** Whether the top had a `recipes` object. */
  hasRecipes: boolean;
  /** The recipes `keep` asked for, parsed, by name. */
  recipes: Record<string, unknown>;
}

/**
 * Scans `path`; undefined when there is no file or it is not a JSON object of the expected shape (a
 * caller treats that as no manifest). Only the parts kept are checked as JSON.
 */
export async function scanManifest(
  path: string,
  keep: (recipe: string) => boolean,
  /** For tests: the size of the chunks read. */
  chunkBytes?: number,
): Promise<ScannedManifest | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'EISDIR') return undefined;
    throw error;
  }
  try {
    const recipes: Record<string, unknown> = {};
    const scan = await scanJson(handle, {
      capture: (name) => name === 'manifest_version',
      members: {
        of: 'recipes',
        capture: keep,
        onMember: (member) => {
          // As JSON.parse makes members: own properties, also one named `__proto__`.
          if ('value' in member)
            Object.defineProperty(recipes, member.name, {
              value: member.value,
              enumerable: true,
              writable: true,
              configurable: true,
            });
        },
      },
      ...(chunkBytes === undefined ? {} : { chunkBytes }),
    });
    if (scan === undefined) return undefined;
    return { version: scan.top.manifest_version, hasRecipes: scan.hasMembers, recipes };
  } finally {
    await handle.close();
  }
}
