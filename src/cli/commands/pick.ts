import { pickVariant } from '../../api/pick.js';
import { UsageError } from '../../errors.js';
import { describePick } from '../../recipe/index.js';
import { EXIT } from '../exit-codes.js';
import { plural } from '../format.js';
import type { CliIO } from '../output.js';

/** `name=value` arguments (split at the first `=`; the value may hold spaces and further `=`). */
export function parseAssignments(args: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const arg of args) {
    const at = arg.indexOf('=');
    if (at <= 0) {
      throw new UsageError(`expected name=value (e.g. seed=42) for a variant to pick but received "${arg}"`);
    }
    const name = arg.slice(0, at).trim();
    if (name in values) throw new UsageError(`variant "${name}" is given twice; name each variant once`);
    values[name] = arg.slice(at + 1);
  }
  return values;
}

/**
 * `assetgen pick <recipe> <asset-id> <name=value…>` (or `--clear`): pins the asset to one variant in the
 * recipe file. Exit 0 written or already so, 2 unknown asset, variant or value, or an invalid recipe.
 */
export async function pickCommand(
  file: string,
  assetId: string,
  assignments: readonly string[],
  options: { clear?: boolean },
  io: CliIO,
): Promise<number> {
  if (options.clear === true && assignments.length > 0) {
    throw new UsageError('--clear takes no name=value: it removes the pick, so every variant runs again');
  }
  const values = options.clear === true ? null : parseAssignments(assignments);
  const result = await pickVariant(file, assetId, values, { cwd: io.cwd });
  const makes =
    result.after === undefined
      ? `every variant (${plural(result.combinations, 'combination')})`
      : result.combinations === 1
        ? describePick(result.after)
        : `${describePick(result.after)} (${plural(result.combinations, 'combination')} of ${result.totalCombinations})`;
  if (!result.changed) {
    io.out(`${file}: ${assetId} already makes ${makes}; the file is unchanged`);
    return EXIT.ok;
  }
  const was = result.before === undefined ? '' : ` (was ${describePick(result.before)})`;
  io.out(`${file}: ${assetId} now makes ${makes}${was}`);
  io.out(`next: assetgen run ${file}   (results made before come from the cache, at no cost)`);
  return EXIT.ok;
}
