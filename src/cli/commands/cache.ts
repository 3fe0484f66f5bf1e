import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { formatUsd } from '../../plan/cost.js';
import { type CacheListing, clearCache, collectGarbage, listCache } from '../../store/cache-admin.js';
import { EXIT } from '../exit-codes.js';
import { formatBytes, plural } from '../format.js';
import type { CliIO } from '../output.js';

function describe(listing: CacheListing): string {
  const { model, image, output } = listing.records;
  return `${listing.dir}: ${model} model results, ${image} image steps, ${output} encoded outputs; ${plural(listing.objects, 'file')}, ${plural(listing.schemas, 'model schema')}, ${formatBytes(listing.bytes)}; cached paid work ${formatUsd(listing.cachedUsd)}`;
}

/** `assetgen cache ls | gc | clear`. */
export async function cacheCommand(
  action: string,
  options: { cacheDir: string },
  io: CliIO,
): Promise<number> {
  const dir = resolve(io.cwd, options.cacheDir);
  switch (action) {
    case 'ls':
      io.out(describe(await listCache(dir)));
      return EXIT.ok;
    case 'gc': {
      const { removedFiles, freedBytes } = await collectGarbage(dir);
      io.out(`removed ${plural(removedFiles, 'file')}, freed ${formatBytes(freedBytes)}`);
      return EXIT.ok;
    }
    case 'clear':
      io.out(`cleared ${describe(await clearCache(dir))}`);
      return EXIT.ok;
    default:
      throw new UsageError(`unknown cache action "${action}" (expected ls, gc or clear)`);
  }
}
