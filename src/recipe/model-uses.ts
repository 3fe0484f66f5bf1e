/**
 * Which models a set of recipe files names, read before they are validated, so that the schemas of models
 * outside the catalog can be fetched (or read from the cache) first. Lenient: a file that cannot be read
 * or parsed names nothing here (loading it reports why), and malformed steps are skipped.
 */
import { readFile, stat } from 'node:fs/promises';
import { parseModelRef } from '../models/catalog.js';
import type { KindOverrides } from '../models/model-kinds.js';
import { decodeRecipeBytes } from './_utf8.js';
import { MAX_RECIPE_BYTES, parseYamlSource } from './_yaml-source.js';

/** One model as a recipe step names it. */
export interface ModelUse {
  /** `owner/name` */
  model: string;
  /** From `owner/name:version`. */
  version?: string;
  /** The step's `official:`. */
  official?: boolean;
}

/** The step's overrides of what the schema says (`image_input`, `kind`). */
export function stepOverrides(step: { image_input?: unknown; kind?: unknown }): KindOverrides {
  const overrides: KindOverrides = {};
  if (typeof step.image_input === 'string') overrides.imageInput = step.image_input;
  if (step.kind === 'image' || step.kind === 'text') overrides.kind = step.kind;
  return overrides;
}

export function modelUsesOfData(data: unknown): ModelUse[] {
  if (typeof data !== 'object' || data === null) return [];
  const steps = (data as { steps?: unknown }).steps;
  if (!Array.isArray(steps)) return [];
  const uses: ModelUse[] = [];
  for (const step of steps) {
    if (typeof step !== 'object' || step === null) continue;
    const { model, official } = step as { model?: unknown; official?: unknown };
    const ref = typeof model === 'string' ? parseModelRef(model) : undefined;
    if (ref === undefined) continue;
    const use: ModelUse = { model: `${ref.owner}/${ref.name}` };
    if (ref.version !== undefined) use.version = ref.version;
    if (typeof official === 'boolean') use.official = official;
    uses.push(use);
  }
  return uses;
}

/** `owner/name` of the deployments the steps name (`deployment:`), in order of appearance. */
export function deploymentUsesOfData(data: unknown): string[] {
  if (typeof data !== 'object' || data === null) return [];
  const steps = (data as { steps?: unknown }).steps;
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((step) => {
    const deployment = (step as { deployment?: unknown } | null)?.deployment;
    return typeof deployment === 'string' && /^[^/\s:]+\/[^/:\s]+$/.test(deployment) ? [deployment] : [];
  });
}

/** The models the files name, in order of appearance (repeats included). */
export async function modelUsesOfFiles(files: readonly string[]): Promise<ModelUse[]> {
  return (await recipeUsesOfFiles(files)).models;
}

/** The models and the deployments the files name. */
export async function recipeUsesOfFiles(
  files: readonly string[],
): Promise<{ models: ModelUse[]; deployments: string[] }> {
  const perFile = await Promise.all(
    files.map(async (file) => {
      try {
        if ((await stat(file)).size > MAX_RECIPE_BYTES) return undefined;
        const decoded = decodeRecipeBytes(await readFile(file));
        if (!('text' in decoded)) return undefined;
        return parseYamlSource(decoded.text, file).data;
      } catch {
        return undefined;
      }
    }),
  );
  return {
    models: perFile.flatMap(modelUsesOfData),
    deployments: perFile.flatMap(deploymentUsesOfData),
  };
}
