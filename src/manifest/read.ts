/**
 * Reads a manifest back: parsed, checked against schema/manifest.schema.json, and refused with a clear
 * message when its format version is newer than this assetgen (or not a version at all). An older
 * version is upgraded in memory first (upgrade.ts): a manifest written before `manifest_version` existed
 * is version 1, and version 1 reads as 2 with its provider and placeholder marks derived from its steps.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ManifestError } from '../errors.js';
import { schemaPath } from '../paths.js';
import { MANIFEST_VERSION, type Manifest } from './types.js';
import { upgradeManifestFromV1 } from './upgrade.js';

export const MANIFEST_FILE = 'manifest.json';

/** `path` is a manifest file or an output folder that holds `manifest.json`. */
export async function readManifest(path: string): Promise<Manifest> {
  const file = (await isFolder(path)) ? join(path, MANIFEST_FILE) : path;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new ManifestError('MANIFEST_MISSING', file, `no manifest at ${file} (assetgen run writes one)`);
    throw new ManifestError('MANIFEST_INVALID', file, `cannot read ${file} (${code ?? String(error)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(
      'MANIFEST_INVALID',
      file,
      `${file} is not JSON (${(error as Error).message}); run assetgen again to rewrite it`,
    );
  }
  return checkManifest(value, file);
}

/** Checks a parsed manifest (`where` names it in messages); returns it typed, in the current format version. */
export async function checkManifest(value: unknown, where: string): Promise<Manifest> {
  const upgraded = withVersion(value, where);
  const schema = JSON.parse(await readFile(schemaPath('manifest.schema.json'), 'utf8')) as object;
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  if (!validate(upgraded)) {
    const problems = (validate.errors ?? []).map(
      (error) =>
        `${error.instancePath === '' ? '(manifest)' : error.instancePath}: ${error.message ?? 'is invalid'}`,
    );
    throw new ManifestError(
      'MANIFEST_INVALID',
      where,
      `${where} does not match the manifest schema:\n  ${problems.slice(0, 20).join('\n  ')}` +
        (problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''),
      problems,
    );
  }
  return upgraded as Manifest;
}

function withVersion(value: unknown, where: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ManifestError('MANIFEST_INVALID', where, `${where} is not a manifest (expected a JSON object)`);
  }
  const record = value as Record<string, unknown>;
  const version = record.manifest_version;
  if (version === undefined || version === 1) return upgradeManifestFromV1(record);
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new ManifestError(
      'MANIFEST_VERSION',
      where,
      `${where} has an unknown format version ${JSON.stringify(version)} (expected an integer from 1 to ${MANIFEST_VERSION})`,
    );
  }
  if (version > MANIFEST_VERSION) {
    const generator = (record.generator as { version?: unknown } | undefined)?.version;
    throw new ManifestError(
      'MANIFEST_VERSION',
      where,
      `${where} has format version ${version}, newer than this assetgen reads (${MANIFEST_VERSION})` +
        `${typeof generator === 'string' ? `; it was written by assetgen ${generator}` : ''}: upgrade assetgen to read it`,
    );
  }
  return value;
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
