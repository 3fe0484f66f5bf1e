import { readFile } from 'node:fs/promises';
import { UsageError } from '../../errors.js';
import { schemaPath } from '../../paths.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../output.js';

/** `assetgen schema [recipe|manifest|events]`: prints the published JSON Schema. */
export async function schemaCommand(which: string, io: CliIO): Promise<number> {
  if (which !== 'recipe' && which !== 'manifest' && which !== 'events') {
    throw new UsageError(`unknown schema "${which}" (expected recipe, manifest or events)`);
  }
  io.out((await readFile(schemaPath(`${which}.schema.json`), 'utf8')).trimEnd());
  return EXIT.ok;
}
