/**
 * The report's pictures: for every asset that changed, was added or removed, one representative output
 * file per side (one path both sides have, big enough for a preview), a small webp preview of each and, where the
 * two differ, a difference picture and the share of differing pixels. Files go into `<report>/thumbs/`,
 * named by content, so identical pictures share one file; thumbnails no report refers to are removed.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { compareVisually, makePreview } from '../image/index.js';
import type { ManifestOutput } from '../manifest/types.js';
import { writeFileAtomic } from '../store/atomic.js';
import { sha256 } from '../store/hash.js';
import type { AssetDiff, AssetVisual, ManifestDiff, ReportImage } from './types.js';

export const THUMBS_FOLDER = 'thumbs';
const DEFAULT_PREVIEW_SIZE = 320;
const OWN_FILE = /^(?:[0-9a-f]{64}-p\d+|diff-[0-9a-f]{16}-[0-9a-f]{16}-c\d+)\.webp$/;

export interface VisualOptions {
  baseDir: string;
  headDir: string;
  reportDir: string;
  /** The longest side of a preview (default 320). */
  previewSize?: number;
  /** The longest side the pictures are compared at (default 256). */
  compareSize?: number;
  concurrency?: number;
}

const area = (output: ManifestOutput) => output.width * output.height;

/**
 * The output to show among several (widths, formats): the smallest one that still fills a preview of
 * `size` (decoding a 2048-px original for a 320-px preview is wasted work), else the largest.
 */
function pickOutput(outputs: readonly ManifestOutput[], size: number): ManifestOutput | undefined {
  const sorted = [...outputs].sort((a, b) => area(a) - area(b));
  return sorted.find((output) => Math.max(output.width, output.height) >= size) ?? sorted.at(-1);
}

/** The files that stand for an asset on each side: one path both sides have (a changed one first), else one of each side's. */
export function representativeOutputs(
  asset: AssetDiff,
  previewSize = DEFAULT_PREVIEW_SIZE,
): { before?: ManifestOutput; after?: ManifestOutput } {
  const common = asset.outputs.filter((output) => output.before !== undefined && output.after !== undefined);
  // A file that changed says more than one that did not (e.g. when only the avif set was re-encoded).
  const changed = common.filter((output) => output.change === 'changed');
  const both = changed.length > 0 ? changed : common;
  const pick = pickOutput(
    both.flatMap((output) => (output.after ? [output.after] : [])),
    previewSize,
  );
  if (pick !== undefined) {
    return { before: both.find((output) => output.path === pick.path)?.before, after: pick };
  }
  return {
    before: pickOutput(asset.before?.outputs ?? [], previewSize),
    after: pickOutput(asset.after?.outputs ?? [], previewSize),
  };
}

interface Source {
  data: Buffer;
  sha256: string;
}

export async function makeVisuals(
  diff: ManifestDiff,
  options: VisualOptions,
): Promise<Map<string, AssetVisual>> {
  const folder = join(options.reportDir, THUMBS_FOLDER);
  await mkdir(folder, { recursive: true });
  const previewSize = options.previewSize ?? DEFAULT_PREVIEW_SIZE;
  const compareSize = options.compareSize ?? 256;
  const limit = pLimit(options.concurrency ?? availableParallelism());
  const used = new Set<string>();
  const previews = new Map<string, Promise<ReportImage>>();

  const write = async (name: string, data: Buffer) => {
    used.add(name);
    await writeFileAtomic(join(folder, name), data, { durable: false });
  };
  const read = async (dir: string, output: ManifestOutput, notes: string[]): Promise<Source | undefined> => {
    let data: Buffer;
    try {
      data = await readFile(join(dir, output.path));
    } catch (error) {
      notes.push(
        `${join(dir, output.path)} cannot be read (${(error as NodeJS.ErrnoException).code ?? error})`,
      );
      return undefined;
    }
    const hash = sha256(data);
    if (hash !== output.sha256)
      notes.push(`${join(dir, output.path)} differs from its manifest entry (changed after the run)`);
    return { data, sha256: hash };
  };
  const preview = (source: Source): Promise<ReportImage> => {
    let made = previews.get(source.sha256);
    if (made === undefined) {
      made = makePreview(source.data, { maxSize: previewSize }).then(async (picture) => {
        const name = `${source.sha256}-p${previewSize}.webp`;
        await write(name, picture.data);
        return { file: `${THUMBS_FOLDER}/${name}`, width: picture.width, height: picture.height };
      });
      previews.set(source.sha256, made);
    }
    return made;
  };

  const visualFor = async (asset: AssetDiff): Promise<AssetVisual> => {
    const notes: string[] = [];
    const { before, after } = representativeOutputs(asset, previewSize);
    const visual: AssetVisual = { notes, beforePath: before?.path, afterPath: after?.path };
    const [was, now] = await Promise.all([
      before ? read(options.baseDir, before, notes) : undefined,
      after ? read(options.headDir, after, notes) : undefined,
    ]);
    try {
      if (was) visual.before = await preview(was);
      if (now) visual.after = await preview(now);
      if (was && now && asset.change === 'changed') {
        if (was.sha256 === now.sha256) visual.score = 0;
        else {
          const compared = await compareVisually(was.data, now.data, { size: compareSize });
          const name = `diff-${was.sha256.slice(0, 16)}-${now.sha256.slice(0, 16)}-c${compareSize}.webp`;
          await write(name, compared.diffImage);
          visual.diff = { file: `${THUMBS_FOLDER}/${name}`, width: compared.width, height: compared.height };
          visual.score = compared.share;
          if (compared.stretched)
            notes.push('the aspect ratio changed: the new picture was stretched to compare');
        }
      }
    } catch (error) {
      notes.push(`the pictures could not be compared: ${(error as Error).message}`);
    }
    return visual;
  };

  const visuals = new Map<string, AssetVisual>();
  await Promise.all(
    diff.assets.map((asset) =>
      asset.change === 'unchanged'
        ? visuals.set(asset.label, { notes: [], score: 0 })
        : limit(async () => visuals.set(asset.label, await visualFor(asset))),
    ),
  );
  await removeUnused(folder, used);
  return visuals;
}

async function removeUnused(folder: string, used: ReadonlySet<string>): Promise<void> {
  for (const name of await readdir(folder)) {
    if (OWN_FILE.test(name) && !used.has(name)) await rm(join(folder, name), { force: true });
  }
}
