/**
 * The run's C2PA signer (`RunRecipesOptions.c2pa`), opened before anything is spent: the credentials
 * checked and one small file of each format the plan writes signed and read back (src/c2pa/signer.ts).
 */
import { type C2paSigner, type C2paSigningOptions, openC2paSigner } from '../c2pa/signer.js';
import type { ImageFormat } from '../image/formats.js';
import { encodeRaw } from '../image/index.js';
import type { Plan } from '../plan/plan.js';
import { IPTC_SOURCE_TYPES, provenanceXmp } from '../provenance/xmp.js';

/** The formats the plan writes: a recipe's outputs are the same for all its assets, so one asset says them. */
function planFormats(plan: Plan): ImageFormat[] {
  const formats = new Set<ImageFormat>();
  for (const recipe of plan.recipes)
    for (const output of recipe.assets[0]?.outputs ?? [])
      for (const file of output.files) formats.add(file.format);
  return [...formats];
}

/** A 2×2 grey image with a provenance packet, as output files have one. */
async function sample(format: ImageFormat): Promise<Uint8Array> {
  const xmp = provenanceXmp({ digitalSourceType: IPTC_SOURCE_TYPES.trained }, 'label');
  const raw = { data: Buffer.alloc(2 * 2 * 3, 128), width: 2, height: 2, channels: 3 as const };
  return (await encodeRaw(raw, format, xmp === undefined ? {} : { xmp })).data;
}

export function openRunSigner(options: C2paSigningOptions, plan: Plan, cwd: string): Promise<C2paSigner> {
  return openC2paSigner(options, cwd, planFormats(plan), sample);
}
