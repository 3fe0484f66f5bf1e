/** Locations of the files assetgen ships next to its code (schemas). Works from src/ and dist/. */
import { fileURLToPath } from 'node:url';

/** The folder of the running assetgen package (the one holding package.json and schema/). */
export const packageRoot = fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, '');

export function schemaPath(...parts: string[]): string {
  return [packageRoot, 'schema', ...parts].join('/');
}
