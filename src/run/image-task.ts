/** Runs local image work of one asset: image steps (sharp operations) and output files. */
import { isAbsolute, join, resolve } from 'node:path';
import { AssetgenError, CancelledError, InternalError } from '../errors.js';
import {
  applyOperations,
  type EncodedImage,
  encodeImage,
  encodeRaw,
  makePlaceholder,
} from '../image/index.js';
import type { ManifestOutput } from '../manifest/types.js';
import {
  type PlannedAsset,
  type PlannedImageStep,
  type PlannedOutput,
  type PlannedOutputFile,
  stepPosition,
} from '../plan/plan.js';
import { relativePathProblem, renderOutputPath } from '../recipe/index.js';
import type { Operation } from '../recipe/recipe-types.generated.js';
import type { CachedFile, TaskRecord } from '../store/cache.js';
import { sha256, sha256File } from '../store/hash.js';
import { runClaimed } from './claimed-task.js';
import { once, ProbeMissError, type RunContext, type TaskOutcome } from './context.js';
import type { TaskRef } from './events.js';
import { imageTaskKey, outputKey } from './keys.js';
import { type StepResult, stepTexts } from './model-task.js';
import { outputProvenanceXmp } from './output-provenance.js';
import { signedOutput } from './output-signing.js';

/** Content hashes of the overlay files that composite operations name (part of the task key). */
async function overlayHashes(
  operations: readonly Operation[],
  baseDir: string,
): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const operation of operations) {
    const file = operation.composite?.image;
    if (file !== undefined)
      hashes[file] = (await sha256File(isAbsolute(file) ? file : join(baseDir, file))).sha256;
  }
  return hashes;
}

function sourceFile(earlier: ReadonlyMap<string, StepResult>, stepId: string, image: number): CachedFile {
  const file = earlier.get(stepId)?.record.files[image];
  if (file === undefined) throw new InternalError(`step "${stepId}" has no image ${image + 1}`);
  return file;
}

/**
 * Runs `work` in the local pool once per key, unless the cache already has the result. `priority`: the
 * task's position in its asset's chain (see pools.ts).
 */
async function cachedLocalTask(
  context: RunContext,
  task: TaskRef,
  key: string,
  priority: number,
  work: () => Promise<TaskRecord>,
): Promise<TaskOutcome> {
  return once(context, key, async () => {
    const hit = await context.cache.get(key);
    if (hit !== undefined) return { record: hit, cached: true };
    if (context.probe) throw new ProbeMissError(key);
    const local = () =>
      context.pools.local(async () => {
        if (context.signal.aborted) throw new CancelledError();
        context.emit({ type: 'task-started', task });
        const record = await work();
        await context.cache.put(record);
        return { record, cached: false };
      }, priority);
    // Runners on other machines sharing the cache compute it once between them (claimed-task.ts).
    return context.claimLocal ? runClaimed(context, key, task, { useCached: true }, local) : local();
  });
}

async function storeEncoded(
  context: RunContext,
  key: string,
  kind: 'image' | 'output',
  started: number,
  encoded: { data: Buffer; width: number; height: number; format: string },
  placeholder?: { thumbhash: string; lqip: string },
): Promise<TaskRecord> {
  const file = await context.cache.putBytes(encoded.data, sha256(encoded.data), `image/${encoded.format}`);
  return {
    key,
    kind,
    created: new Date().toISOString(),
    provider: 'local',
    durationMs: Math.round(performance.now() - started),
    files: [file],
    image: { width: encoded.width, height: encoded.height, format: encoded.format, ...placeholder },
  };
}

export async function runImageStep(
  context: RunContext,
  asset: PlannedAsset,
  step: PlannedImageStep,
  earlier: ReadonlyMap<string, StepResult>,
  baseDir: string,
): Promise<StepResult> {
  const task: TaskRef = { asset: asset.key, step: step.id, model: 'image' };
  const source = sourceFile(earlier, step.fromStep, 0);
  const overlays = await overlayHashes(step.operations, baseDir);
  const key = imageTaskKey({
    sourceSha256: source.sha256,
    operations: step.operations,
    overlays,
    imageLibrary: context.imageLibrary,
  });
  const outcome = await cachedLocalTask(context, task, key, stepPosition(asset, step), async () => {
    const started = performance.now();
    const encoded = await applyOperations(context.cache.objectPath(source.sha256), step.operations, {
      baseDir,
      keepPixels: true,
    });
    const record = await storeEncoded(context, key, 'image', started, encoded);
    const stored = record.files[0];
    if (encoded.pixels !== undefined && stored !== undefined)
      context.pixels.put(stored.sha256, encoded.pixels);
    return record;
  });
  return { ...outcome, input: {}, estimatedUsd: 0 };
}

/** A written output file, as the manifest lists it (the runner adds whether it is a placeholder). */
export type WrittenFile = Omit<ManifestOutput, 'placeholder'>;

/** Encodes one output file (cached by content) and writes it atomically under the output directory. */
export async function writeOutputFile(
  context: RunContext,
  asset: PlannedAsset,
  output: PlannedOutput,
  file: PlannedOutputFile,
  earlier: ReadonlyMap<string, StepResult>,
  baseDir: string,
): Promise<WrittenFile> {
  const task: TaskRef = { asset: asset.key, step: `outputs[${output.index}]`, model: 'output' };
  const source = sourceFile(earlier, output.fromStep, file.image);
  const overlays = await overlayHashes(output.operations, baseDir);
  // The label is part of the encode's key: identical tasks (same label) share it, and a re-run gives
  // the same bytes; the model and image steps' cache entries stay label-free and shared by everyone.
  const xmp = outputProvenanceXmp(asset, output, earlier, asset.provenance);
  const key = outputKey({
    sourceSha256: source.sha256,
    operations: output.operations,
    overlays,
    format: output.format,
    width: file.width,
    imageLibrary: context.imageLibrary,
    ...(xmp === undefined ? {} : { xmpSha256: sha256(Buffer.from(xmp, 'utf8')) }),
  });
  const { record: encodedRecord, cached } = await cachedLocalTask(
    context,
    task,
    key,
    asset.steps.length,
    async () => {
      const started = performance.now();
      const size = {
        ...(file.width === undefined ? {} : { width: file.width }),
        ...(xmp === undefined ? {} : { xmp }),
      };
      const pixels = output.operations.length === 0 ? context.pixels.get(source.sha256) : undefined;
      let encoded: EncodedImage;
      if (pixels !== undefined) encoded = await encodeRaw(pixels, output.format, size);
      else {
        let input: Buffer | string = context.cache.objectPath(source.sha256);
        if (output.operations.length > 0)
          input = (await applyOperations(input, output.operations, { baseDir })).data;
        encoded = await encodeImage(input, output.format, size);
      }
      return storeEncoded(context, key, 'output', started, encoded, await makePlaceholder(encoded.data));
    },
  );
  const record = await withPlaceholder(context, encodedRecord);
  context.emit({ type: 'task-finished', task, cached, durationMs: record.durationMs, actualUsd: 0 });
  if (record.files[0] === undefined || record.image === undefined)
    throw new InternalError(`output record ${key} is empty`);
  const path = output.pathNeedsText ? runtimePath(asset, output, file, earlier) : file.path;
  const destination = resolve(context.outDir, path);
  // Signed only on the way into the output folder: the encode above stays the same for everyone.
  const signer = context.writeOutputs ? context.c2pa : undefined;
  const placed =
    signer === undefined
      ? record
      : await signedOutput(context, signer, { asset, output, earlier, unsigned: record, path });
  const stored = placed.files[0];
  if (stored === undefined) throw new InternalError(`output record ${placed.key} is empty`);
  const written: WrittenFile = {
    path,
    format: record.image.format,
    width: record.image.width,
    height: record.image.height,
    bytes: stored.bytes,
    sha256: stored.sha256,
  };
  if (record.image.thumbhash !== undefined) written.thumbhash = record.image.thumbhash;
  if (record.image.lqip !== undefined) written.lqip = record.image.lqip;
  if (signer !== undefined) written.c2pa = { signer: signer.signer };
  if (context.writeOutputs) {
    // The folder is checked (inside the output folder, links followed) before the old file is even read.
    await context.outputs.prepare(destination);
    const unchanged = await sameContent(destination, stored);
    if (!unchanged) await context.outputs.copyIn(context.cache.objectPath(stored.sha256), destination);
    // Remembered also when unchanged: the record may have been lost with an earlier cache folder.
    await context.outputs.placed(destination, stored, asset.key).catch(() => {});
    const { thumbhash: _, lqip: __, c2pa: ___, ...file } = written;
    context.emit({ type: 'file-written', asset: asset.key, ...file, unchanged });
  }
  return written;
}

/**
 * An encode's record with its placeholders: a record from before assetgen made them gets them now, from
 * the cached file, and is stored again (so the next run reads them). Probes compute nothing.
 */
async function withPlaceholder(context: RunContext, record: TaskRecord): Promise<TaskRecord> {
  const file = record.files[0];
  if (
    context.probe ||
    record.image === undefined ||
    record.image.thumbhash !== undefined ||
    file === undefined
  )
    return record;
  const placeholder = await makePlaceholder(context.cache.objectPath(file.sha256));
  const updated: TaskRecord = { ...record, image: { ...record.image, ...placeholder } };
  if (context.writeOutputs) await context.cache.put(updated);
  return updated;
}

async function sameContent(path: string, file: CachedFile): Promise<boolean> {
  try {
    const existing = await sha256File(path);
    return existing.bytes === file.bytes && existing.sha256 === file.sha256;
  } catch {
    return false;
  }
}

/** Renders a path that uses step texts, now that they exist, and checks it stays inside the output folder. */
function runtimePath(
  asset: PlannedAsset,
  output: PlannedOutput,
  file: PlannedOutputFile,
  earlier: ReadonlyMap<string, StepResult>,
): string {
  const options = {
    n: file.image + 1,
    stepTexts: stepTexts(earlier),
    ...(file.width === undefined ? {} : { width: file.width }),
  };
  const rendered = renderOutputPath(output.spec, asset.instance, options);
  const problem = relativePathProblem(rendered);
  if (problem !== undefined) {
    throw new AssetgenError('OUTPUT_PATH', `outputs[${output.index}].path for ${asset.key}: ${problem}`);
  }
  // The planned path is `<recipe output folder>/<unrendered template>`.
  const folder = file.path.slice(0, file.path.length - output.spec.path.length);
  return `${folder}${rendered}`;
}
