/**
 * What an output file says about where it came from (see src/provenance/xmp.ts): built from the asset's
 * plan and the results of its steps — ids, keys and seeds only, never a time or a token, so the same
 * result always gives the same packet.
 */
import type { PlannedAsset, PlannedOutput } from '../plan/plan.js';
import {
  IPTC_SOURCE_TYPES,
  type Provenance,
  type ProvenanceLevel,
  type ProvenanceStep,
  provenanceXmp,
} from '../provenance/xmp.js';
import { VERSION } from '../version.js';
import type { StepResult } from './model-task.js';

export function outputProvenanceXmp(
  asset: PlannedAsset,
  output: PlannedOutput,
  earlier: ReadonlyMap<string, StepResult>,
  level: ProvenanceLevel,
): string | undefined {
  if (level === 'none') return undefined;
  return provenanceXmp(outputProvenance(asset, output, earlier), level);
}

/** Everything known about an output's origin; each level (provenance/xmp.ts) writes part of it. */
export function outputProvenance(
  asset: PlannedAsset,
  output: PlannedOutput,
  earlier: ReadonlyMap<string, StepResult>,
): Provenance {
  const steps: ProvenanceStep[] = [];
  let placeholder = false;
  let composite = output.operations.some((operation) => operation.composite?.image !== undefined);
  let firstModelLocal: boolean | undefined;
  for (const step of asset.steps) {
    const result = earlier.get(step.id);
    if (result === undefined) continue;
    const { record } = result;
    if (step.kind === 'image') {
      if (step.operations.some((operation) => operation.composite?.image !== undefined)) composite = true;
      steps.push({ id: step.id, model: 'image', taskKey: record.key });
      continue;
    }
    const local = record.provider === 'local';
    if (local) placeholder = true;
    firstModelLocal ??= local;
    const entry: ProvenanceStep = { id: step.id, model: step.model, taskKey: record.key };
    if (record.provider !== undefined) entry.provider = record.provider;
    const version = record.version ?? step.version;
    if (version !== undefined) entry.version = version;
    if (record.predictionId !== undefined) entry.predictionId = record.predictionId;
    const seed = result.input.seed ?? step.seed;
    if (typeof seed === 'number') entry.seed = seed;
    const prompt = result.input.prompt ?? step.input.prompt;
    if (typeof prompt === 'string') entry.prompt = prompt;
    steps.push(entry);
  }
  const provenance: Provenance = {
    recipe: asset.recipe,
    asset: asset.instance.assetId,
    generator: `assetgen ${VERSION}`,
    steps,
  };
  if (asset.instance.variantLabel) provenance.variant = asset.instance.variantLabel;
  if (firstModelLocal !== undefined) {
    provenance.digitalSourceType = firstModelLocal
      ? IPTC_SOURCE_TYPES.algorithmic
      : composite
        ? IPTC_SOURCE_TYPES.composite
        : IPTC_SOURCE_TYPES.trained;
  }
  if (placeholder) provenance.placeholder = true;
  return provenance;
}
