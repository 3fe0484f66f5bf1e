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
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDeadSpools } from '../store/dead-spools.js';
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
const FLUSH_BYTES = 256 * 1024;

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
  const spoolPath = join(spoolDir, `.manifest.${process.pid}.${randomBytes(4).toString('hex')}.spool`);
  const failure = (error: unknown, path: string) =>
    writeFailure(error, { path, doing: 'write the manifest', place: 'output' });
  let spool: FileHandle;
  try {
    await mkdir(outDir, { recursive: true });
    await mkdir(spoolDir, { recursive: true });
    await removeDeadSpools(spoolDir, SPOOL);
    spool = await open(spoolPath, 'w+');
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
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let end = 0;
  let writing: Promise<void> = Promise.resolve();
  let error: unknown;
  let closed = false;

  const flush = (): Promise<void> => {
    if (pendingBytes === 0) return writing;
    const chunk = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    writing = writing.then(async () => {
      if (error !== undefined) return;
      try {
        await spool.write(chunk, 0, chunk.length);
      } catch (cause) {
        error = cause;
      }
    });
    return writing;
  };
  const close = async () => {
    if (closed) return;
    closed = true;
    await writing;
    await spool.close().catch(() => {});
    await rm(spoolPath, { force: true }).catch(() => {});
  };

  return {
    add(recipe, position, asset) {
      const tally = tallies[recipe];
      if (tally === undefined || !(position >= 0 && position < tally.offsets.length))
        throw new RangeError(`no place for entry ${position} of recipe ${recipe} in the manifest`);
      const bytes = Buffer.from(entryText(asset), 'utf8');
      tally.offsets[position] = end;
      tally.lengths[position] = bytes.length;
      end += bytes.length;
      pending.push(bytes);
      pendingBytes += bytes.length;
      for (const output of asset.outputs) if (output.placeholder) tally.placeholders++;
      if (position < tally.firstModel) {
        const step = asset.steps.find((s) => s.kind === 'model');
        if (step !== undefined) {
          tally.firstModel = position;
          tally.provider = providerEntry(step.provider);
        }
      }
      return pendingBytes >= FLUSH_BYTES ? flush() : Promise.resolve();
    },
    async finish(options) {
      const path = join(outDir, options.file);
      const temporary = join(outDir, `.${options.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      let out: FileHandle | undefined;
      try {
        await flush();
        if (error !== undefined) throw error;
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
        out = await open(temporary, 'w');
        const writer = bufferedWriter(out);
        const marker = new RegExp(`"${sentinel}(\\d+)"`, 'g');
        let last = 0;
        for (const match of text.matchAll(marker)) {
          await writer.write(text.slice(last, match.index));
          await copyEntries(spool, tallies[Number(match[1])] as RecipeTally, writer);
          last = match.index + match[0].length;
        }
        await writer.write(text.slice(last));
        await writer.end();
        await out.sync();
        await out.close();
        out = undefined;
        await rename(temporary, path);
        return { path };
      } catch (cause) {
        await out?.close().catch(() => {});
        await rm(temporary, { force: true }).catch(() => {});
        throw cause instanceof RangeError ? cause : failure(cause, path);
      } finally {
        await close();
      }
    },
    discard: close,
  };
}

const SPOOL = /^\.manifest\.(\d+)\.[0-9a-f]+\.spool$/;

interface BufferedWriter {
  write(data: string | Buffer): Promise<void>;
  end(): Promise<void>;
}

function bufferedWriter(handle: FileHandle): BufferedWriter {
  let parts: Buffer[] = [];
  let size = 0;
  const drain = async () => {
    if (size === 0) return;
    const chunk = Buffer.concat(parts, size);
    parts = [];
    size = 0;
    await handle.write(chunk, 0, chunk.length);
  };
  return {
    async write(data) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      parts.push(bytes);
      size += bytes.length;
      if (size >= FLUSH_BYTES * 4) await drain();
    },
    end: drain,
  };
}

/** The entries of one recipe, in position order, as a JSON array at their indent. */
async function copyEntries(spool: FileHandle, tally: RecipeTally, writer: BufferedWriter): Promise<void> {
  const count = tally.offsets.length;
  if (count === 0) {
    await writer.write('[]');
    return;
  }
  await writer.write('[\n');
  for (let position = 0; position < count; position++) {
    const length = tally.lengths[position] as number;
    const bytes = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await spool.read(
        bytes,
        read,
        length - read,
        (tally.offsets[position] as number) + read,
      );
      if (bytesRead === 0) throw new Error('the manifest spool ended early');
      read += bytesRead;
    }
    await writer.write(bytes);
    await writer.write(position === count - 1 ? ARRAY_END : ',\n');
  }
}
