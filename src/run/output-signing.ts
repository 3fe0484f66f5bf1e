/**
 * C2PA signing of an output file on its way into the output folder (opt-in). The unsigned encode stays
 * the shared cache entry it always was; the signed file is a second entry keyed by the unsigned bytes,
 * the manifest definition, the certificate chain and the library (keys.ts), so a re-run with the same
 * inputs reuses it — same bytes, nothing rewritten — while a new certificate or recipe change signs anew.
 */
import { readFile } from 'node:fs/promises';
import { c2paManifestDefinition } from '../c2pa/manifest-definition.js';
import type { C2paSigner } from '../c2pa/signer.js';
import { AssetgenError } from '../errors.js';
import type { PlannedAsset, PlannedOutput } from '../plan/plan.js';
import type { TaskRecord } from '../store/cache.js';
import { sha256 } from '../store/hash.js';
import { VERSION } from '../version.js';
import { once, type RunContext } from './context.js';
import { signedOutputKey } from './keys.js';
import type { StepResult } from './model-task.js';
import { outputProvenance } from './output-provenance.js';

export interface SigningInput {
  asset: PlannedAsset;
  output: PlannedOutput;
  earlier: ReadonlyMap<string, StepResult>;
  /** The unsigned encode's record. */
  unsigned: TaskRecord;
  /** The output's path inside the output folder (its file name is the manifest's title). */
  path: string;
}

export async function signedOutput(
  context: RunContext,
  signer: C2paSigner,
  input: SigningInput,
): Promise<TaskRecord> {
  const { asset, output, unsigned } = input;
  const file = unsigned.files[0];
  const image = unsigned.image;
  if (file === undefined || image === undefined) return unsigned;
  const contentType = `image/${image.format}`;
  const definition = c2paManifestDefinition(
    outputProvenance(asset, output, input.earlier),
    asset.provenance,
    { title: input.path.slice(input.path.lastIndexOf('/') + 1), contentType, version: VERSION },
  );
  const key = signedOutputKey({
    unsignedSha256: file.sha256,
    definitionSha256: sha256(JSON.stringify(definition)),
    ...signer.identity,
  });
  const outcome = await once(context, key, async () => {
    if (!context.force(asset.key)) {
      const hit = await context.cache.get(key);
      if (hit !== undefined) return { record: hit, cached: true };
    }
    return context.pools.local(async () => {
      const started = performance.now();
      const bytes = await readFile(context.cache.objectPath(file.sha256));
      const signed = await signer.sign(bytes, contentType, definition).catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        throw new AssetgenError('C2PA_SIGN', `${input.path}: ${reason}`);
      });
      const stored = await context.cache.putBytes(signed, sha256(signed), file.contentType);
      const record: TaskRecord = {
        key,
        kind: 'output',
        created: new Date().toISOString(),
        provider: 'local',
        durationMs: Math.round(performance.now() - started),
        files: [stored],
        image,
      };
      await context.cache.put(record);
      return { record, cached: false };
    }, asset.steps.length);
  });
  return outcome.record;
}
