/** The provenance packet on its own: levels, escaping and the round trip through the parser. */
import { describe, expect, it } from 'vitest';
import {
  IPTC_SOURCE_TYPES,
  type Provenance,
  parseProvenanceXmp,
  provenanceXmp,
} from '../../src/provenance/xmp.js';

const tricky: Provenance = {
  digitalSourceType: IPTC_SOURCE_TYPES.composite,
  recipe: 'r',
  asset: `a</assetgen:asset><evil x="1">&amp;'`,
  variant: 'seed=1, style=<b>',
  generator: 'assetgen 1.2.3',
  steps: [
    {
      id: 'art',
      model: 'o/m',
      version: 'v1',
      predictionId: 'p',
      seed: 42,
      taskKey: 'k',
      prompt: 'a\u0007b "q" & <t>',
    },
    { id: 'tidy', model: 'image', taskKey: 'k2' },
  ],
};

describe('provenance XMP packet', () => {
  it('round-trips every field, escaped, and drops control characters XML cannot hold', () => {
    const xmp = provenanceXmp(tricky, 'full') ?? '';
    expect(xmp).not.toContain('<evil');
    expect(xmp).not.toContain('\u0007');
    const parsed = parseProvenanceXmp(xmp);
    expect(parsed).toEqual({
      ...tricky,
      steps: [{ ...tricky.steps?.[0], prompt: 'ab "q" & <t>' }, tricky.steps?.[1]],
    });
  });

  it('ids leaves out prompts, label keeps only the source type, none writes nothing', () => {
    expect(parseProvenanceXmp(provenanceXmp(tricky, 'ids') ?? '').steps?.[0]?.prompt).toBeUndefined();
    expect(parseProvenanceXmp(provenanceXmp(tricky, 'label') ?? '')).toEqual({
      digitalSourceType: IPTC_SOURCE_TYPES.composite,
    });
    expect(provenanceXmp(tricky, 'none')).toBeUndefined();
  });

  it('is the same text for the same provenance (no times, fixed order)', () => {
    expect(provenanceXmp(structuredClone(tricky), 'full')).toBe(provenanceXmp(tricky, 'full'));
  });
});
