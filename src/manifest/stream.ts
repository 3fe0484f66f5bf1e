/**
 * The manifest written as a stream, so that a run holds no asset entry longer than it takes to finish
 * it: each entry, as it finishes (in any order), is serialized and appended to a spool file beside the
 * manifest; only its place (byte offset and length) stays in memory, 16 bytes per asset. `finish`
 * assembles the manifest in plan order — the top (provider, placeholder count: tallied as entries came)
 * and the recipes by name, each recipe's entries copied from the spool — into a temporary file that is
 * flushed and renamed over the final name. The bytes are those of `JSON.stringify(manifest, null, 2)`
 * (write.ts), so a streamed manifest and one built in memory are the same file. A run that throws, or
 * `discard`, leaves the old manifest as it was and no spool behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openSpoolFile, type SpoolFile } from '../store/spool-file.js';
import { type WritePiece, writeFileStreamed } from '../store/streamed-write.js';
import { writeFailure } from '../store/write-errors.js';
import { providerEntry, providerTotalsOf } from './placeholders.js';
import type { ManifestAsset, ManifestProvider, ManifestRecipe } from './types.js';
import { manifestTop } from './write.js';

/** A recipe whose entries come through the stream. */
export interface StreamedRecipe {
  name: string;
  source: string;
  output: string;
  /** How many entries it will get (positions 0 … count-1). */
  count: number;
  /** The recipe's profile (`--profile`), when it was run with one. */
  profile?: string;
}

export interface ManifestStream {
  /** Entry `position` of recipe `recipe` (indexes into the list given to `openManifestStream`). */
  add(recipe: number, position: number, asset: ManifestAsset): Promise<void>;
  /**
   * Writes `outDir/<file>` atomically: `others` (recipes kept from before, by name) and the streamed
   * recipes. Every position must have had its entry. `fallback`: the provider of a recipe none of whose
   * model steps ran (and of the top of a manifest without recipes).
   */
  finish(options: {
    file: string;
    generatorVersion: string;
    fallback: ManifestProvider;
    others?: Readonly<Record<string, ManifestRecipe>>;
    /** Extra members after `recipes` at the top (a shard part's `shard`). */
    extra?: Readonly<Record<string, unknown>>;
  }): Promise<{ path: string }>;
  /** Drops the spool; the manifest is left as it was. */
  discard(): Promise<void>;
}

/** Entries are indented for their place: manifest → recipes → recipe → assets → entry. */
const ENTRY_INDENT = ' '.repeat(8);
const ARRAY_END = `\n${' '.repeat(6)}]`;

export function entryText(asset: ManifestAsset): string {
  return JSON.stringify(asset, null, 2).replace(/^/gm, ENTRY_INDENT);
}

interface RecipeTally {
  offsets: Float64Array;
  lengths: Float64Array;
  /** Position of the first entry with a model step, and its provider. */
  firstModel: number;
  provider: ManifestProvider | undefined;
  placeholders: number;
}

export async function openManifestStream(
  outDir: string,
  recipes: readonly StreamedRecipe[],
  /** Where the spool goes (the cache's `tmp/`: the output folder holds only outputs and the manifest). */
  spoolDir: string = outDir,
): Promise<ManifestStream> {
  const failure = (error: unknown, path: string) =>
    writeFailure(error, { path, doing: 'write the manifest', place: 'output' });
  let spool: SpoolFile;
  try {
    await mkdir(outDir, { recursive: true });
    spool = await openSpoolFile(spoolDir, 'manifest');
  } catch (error) {
    throw failure(error, join(outDir, 'manifest.json'));
  }
  const tallies: RecipeTally[] = recipes.map((recipe) => ({
    offsets: new Float64Array(recipe.count).fill(-1),
    lengths: new Float64Array(recipe.count),
    firstModel: Number.POSITIVE_INFINITY,
    provider: undefined,
    placeholders: 0,
  }));
  const close = () => spool.close();

  return {
    add(recipe, position, asset) {
      const tally = tallies[recipe];
      if (tally === undefined || !(position >= 0 && position < tally.offsets.length))
        throw new RangeError(`no place for entry ${position} of recipe ${recipe} in the manifest`);
      const bytes = Buffer.from(entryText(asset), 'utf8');
      const { offset, written } = spool.append(bytes);
      tally.offsets[position] = offset;
      tally.lengths[position] = bytes.length;
      for (const output of asset.outputs) if (output.placeholder) tally.placeholders++;
      if (position < tally.firstModel) {
        const step = asset.steps.find((s) => s.kind === 'model');
        if (step !== undefined) {
          tally.firstModel = position;
          tally.provider = providerEntry(step.provider);
        }
      }
      return written;
    },
    async finish(options) {
      const path = join(outDir, options.file);
      try {
        await spool.settle();
        const streamed: Record<string, ManifestRecipe> = {};
        const sentinel = `assetgen-stream-${randomBytes(8).toString('hex')}-`;
        const summaries: Array<{ provider: ManifestProvider; placeholders: number }> = [];
        for (const [name, recipe] of Object.entries(options.others ?? {})) {
          if (recipes.some((r) => r.name === name)) continue;
          streamed[name] = recipe;
          const placeholders = recipe.assets.reduce(
            (sum, asset) => sum + asset.outputs.filter((output) => output.placeholder).length,
            0,
          );
          summaries.push({ provider: recipe.provider, placeholders });
        }
        for (const [index, recipe] of recipes.entries()) {
          const tally = tallies[index] as RecipeTally;
          const missing = tally.offsets.indexOf(-1);
          if (missing !== -1) throw new RangeError(`entry ${missing} of recipe ${recipe.name} never came`);
          const provider = tally.provider ?? options.fallback;
          summaries.push({ provider, placeholders: tally.placeholders });
          streamed[recipe.name] = {
            source: recipe.source,
            output: recipe.output,
            provider,
            ...(recipe.profile === undefined ? {} : { profile: recipe.profile }),
            assets: `${sentinel}${index}` as unknown as ManifestAsset[],
          };
        }
        const top = manifestTop(
          streamed,
          options.generatorVersion,
          providerTotalsOf(summaries, options.fallback),
        );
        const text = `${JSON.stringify({ ...top, ...options.extra }, null, 2)}\n`;
        const marker = new RegExp(`"${sentinel}(\\d+)"`, 'g');
        await writeFileStreamed(path, async (write) => {
          let last = 0;
          for (const match of text.matchAll(marker)) {
            await write(text.slice(last, match.index));
            await copyEntries(spool, tallies[Number(match[1])] as RecipeTally, write);
            last = match.index + match[0].length;
          }
          await write(text.slice(last));
        });
        return { path };
      } catch (cause) {
        throw cause instanceof RangeError ? cause : failure(cause, path);
      } finally {
        await close();
      }
    },
    discard: close,
  };
}

/** The entries of one recipe, in position order, as a JSON array at their indent. */
async function copyEntries(spool: SpoolFile, tally: RecipeTally, write: WritePiece): Promise<void> {
  const count = tally.offsets.length;
  if (count === 0) {
    await write('[]');
    return;
  }
  await write('[\n');
  for (let position = 0; position < count; position++) {
    await write(await spool.read(tally.offsets[position] as number, tally.lengths[position] as number));
    await write(position === count - 1 ? ARRAY_END : ',\n');
  }
}
