/**
 * Local files named as model inputs become `InputFile`s, like an upstream step's image: the task key
 * counts them by content (a renamed or moved file keeps its key, an edited one does not), and the
 * provider sends them as it sends any file (Replicate: a data URI, or an upload when large). Each file is
 * read and hashed once per run, before the first task.
 */
import { open } from 'node:fs/promises';
import type { Plan, PlannedModelStep } from '../plan/plan.js';
import type { InputFile } from '../providers/types.js';
import { sha256File } from '../store/hash.js';

/** The type from the first bytes (the formats the recipe checks accept), else octet-stream. */
async function contentTypeOf(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(12);
    await handle.read(head, 0, 12, 0);
    if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
      return 'image/png';
    if (head[0] === 0xff && head[1] === 0xd8) return 'image/jpeg';
    if (head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP')
      return 'image/webp';
    if (head.toString('latin1', 0, 4) === 'GIF8') return 'image/gif';
    if (head.toString('latin1', 4, 12).startsWith('ftypavif')) return 'image/avif';
    return 'application/octet-stream';
  } finally {
    await handle.close();
  }
}

/** Every local file input of the plan, by absolute path. */
export async function readLocalInputs(plan: Plan): Promise<Map<string, InputFile>> {
  const paths = new Set<string>();
  for (const recipe of plan.recipes)
    for (const asset of recipe.assets)
      for (const step of asset.steps)
        if (step.kind === 'model') for (const file of step.localFiles ?? []) paths.add(file.path);
  const files = new Map<string, InputFile>();
  await Promise.all(
    [...paths].map(async (path) => {
      const [{ sha256, bytes }, contentType] = await Promise.all([sha256File(path), contentTypeOf(path)]);
      files.set(path, { kind: 'file', path, sha256, bytes, contentType });
    }),
  );
  return files;
}

/** `input` with the step's local files as `InputFile`s (a copy; lists copied too). */
export function withLocalInputs(
  input: Record<string, unknown>,
  step: PlannedModelStep,
  files: ReadonlyMap<string, InputFile>,
): Record<string, unknown> {
  if (step.localFiles === undefined) return input;
  const out = { ...input };
  for (const { field, index, path } of step.localFiles) {
    const file = files.get(path);
    if (file === undefined) continue;
    if (index === undefined) out[field] = file;
    else {
      const list = Array.isArray(out[field]) ? [...(out[field] as unknown[])] : [];
      list[index] = file;
      out[field] = list;
    }
  }
  return out;
}
