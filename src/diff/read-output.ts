/**
 * Opens an output folder for the change report: the folder must exist and hold a `manifest.json` that
 * is JSON and matches schema/manifest.schema.json. Every failure is a UsageError (exit 2) saying which
 * folder, what is wrong and how to get a good one.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { UsageError } from '../errors.js';
import type { Manifest } from '../manifest/types.js';
import { MANIFEST_FILE } from '../manifest/write.js';
import { schemaPath } from '../paths.js';

export interface OutputFolder {
  dir: string;
  manifest: Manifest;
}

const HOW = 'expected the --out folder of an assetgen run';
const SHOWN_PROBLEMS = 10;

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** `role` names the folder in messages (`base`, `head`). */
export async function readOutputFolder(dir: string, role: string): Promise<OutputFolder> {
  if (!(await isFolder(dir))) throw new UsageError(`the ${role} folder ${dir} does not exist (${HOW})`);
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `the ${role} folder ${dir} has no ${MANIFEST_FILE} (${HOW}; it writes the manifest last)`
        : `cannot read ${file} (${code ?? String(error)})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${file} is not valid JSON (${(error as Error).message}); run assetgen again to rewrite it`,
    );
  }
  const schema = JSON.parse(await readFile(schemaPath('manifest.schema.json'), 'utf8')) as object;
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map(
      (error) =>
        `${error.instancePath === '' ? '(manifest)' : error.instancePath}: ${error.message ?? 'is invalid'}`,
    );
    const more = problems.length > SHOWN_PROBLEMS ? `\n  … and ${problems.length - SHOWN_PROBLEMS} more` : '';
    throw new UsageError(
      `${file} is not an assetgen manifest (it does not match schema/manifest.schema.json):\n  ` +
        `${problems.slice(0, SHOWN_PROBLEMS).join('\n  ')}${more}`,
    );
  }
  return { dir, manifest: value as Manifest };
}
