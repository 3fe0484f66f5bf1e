/**
 * Which values of a model step's input name local files: strings (or list items) of file inputs
 * (`format: uri`) that are paths or `file:` URLs, resolved against the recipe's folder. Validation checked
 * that each is a readable image inside the allowed folders; the runner replaces each by its content.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CatalogModel } from '../models/catalog.js';
import { isFileProperty } from '../models/cog-schema.js';
import type { LocalFileInput } from './plan.js';

const URL_LIKE = /^[a-z][a-z0-9+.-]+:/i;

function localPath(value: unknown, dir: string): string | undefined {
  if (typeof value !== 'string' || value === '' || value.includes('{{')) return undefined;
  if (/^file:/i.test(value)) {
    try {
      return fileURLToPath(value);
    } catch {
      return undefined;
    }
  }
  return URL_LIKE.test(value) ? undefined : resolve(dir, value);
}

export function localFileInputs(
  model: CatalogModel,
  input: Readonly<Record<string, unknown>>,
  dir: string,
): LocalFileInput[] {
  const properties = (model.inputSchema.properties ?? {}) as Record<string, unknown>;
  const found: LocalFileInput[] = [];
  for (const [field, value] of Object.entries(input)) {
    if (!isFileProperty(properties[field])) continue;
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        const path = localPath(item, dir);
        if (path !== undefined) found.push({ field, index, path });
      });
    } else {
      const path = localPath(value, dir);
      if (path !== undefined) found.push({ field, path });
    }
  }
  return found;
}
