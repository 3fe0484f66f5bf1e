/** Locations of the files assetgen ships next to its code (schemas). Works from src/ and dist/. */
import { fileURLToPath } from 'node:url';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));

export function schemaPath(...parts: string[]): string {
  return [packageRoot.replace(/\/$/, ''), 'schema', ...parts].join('/');
}
