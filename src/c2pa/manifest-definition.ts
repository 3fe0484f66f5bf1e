/**
 * The C2PA manifest assetgen signs into a file, from the same provenance as its XMP (src/provenance/xmp.ts)
 * and by the same levels: always the `c2pa.created` action with the IPTC digital source type and assetgen
 * as the software agent; at `ids` and `full` also the assetgen record (recipe, asset, variant, steps),
 * prompts only at `full`. No times or tokens; the library adds the instance id and the hashes.
 */
import { IPTC_SOURCE_TYPES, type Provenance, type ProvenanceLevel } from '../provenance/xmp.js';

export const ASSETGEN_ASSERTION = 'dev.assetgen.provenance';

export interface C2paManifestDefinition {
  claim_generator_info: { name: string; version: string }[];
  title: string;
  format: string;
  assertions: { label: string; data: Record<string, unknown> }[];
}

export function c2paManifestDefinition(
  provenance: Provenance,
  level: ProvenanceLevel,
  file: { title: string; contentType: string; version: string },
): C2paManifestDefinition {
  const agent = { name: 'assetgen', version: file.version };
  // Every asset starts with a model step, so the type is known; C2PA requires one on `c2pa.created`.
  const created = {
    action: 'c2pa.created',
    digitalSourceType: provenance.digitalSourceType ?? IPTC_SOURCE_TYPES.trained,
    softwareAgent: agent,
  };
  const assertions: C2paManifestDefinition['assertions'] = [
    { label: 'c2pa.actions', data: { actions: [created] } },
  ];
  if (level === 'ids' || level === 'full') {
    const record: Record<string, unknown> = {};
    for (const field of ['recipe', 'asset', 'variant'] as const)
      if (provenance[field] !== undefined && provenance[field] !== '') record[field] = provenance[field];
    if (provenance.placeholder === true) record.placeholder = true;
    record.steps = (provenance.steps ?? []).map(({ prompt, ...step }) =>
      level === 'full' && prompt !== undefined ? { ...step, prompt } : step,
    );
    assertions.push({ label: ASSETGEN_ASSERTION, data: record });
  }
  return { claim_generator_info: [agent], title: file.title, format: file.contentType, assertions };
}
