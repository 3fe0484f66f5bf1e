import { createCatalog, type Pricing } from '../../models/catalog.js';
import { formatUsd } from '../../plan/cost.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../output.js';

const STAND_INS = {
  'text-to-image': 'placeholder picture (prompt, seed, size shown)',
  upscale: 'lanczos3 resize',
  'background-removal': 'border-estimated matting',
  text: 'deterministic text from the prompt',
} as const;

function describePrice(pricing: Pricing | undefined): string {
  if (pricing === undefined) return 'no published price';
  switch (pricing.unit) {
    case 'image':
      return `${formatUsd(pricing.usd)}/image`;
    case 'second':
      return `${formatUsd(pricing.usdPerSecond)}/s on ${pricing.hardware}${pricing.typicalSeconds === undefined ? '' : ` (~${pricing.typicalSeconds}s a run)`}`;
    case 'token':
      return `$${(pricing.usdPerInputToken * 1e6).toFixed(2)}/M in, $${(pricing.usdPerOutputToken * 1e6).toFixed(2)}/M out`;
  }
}

/** `assetgen models`: the catalog. */
export async function modelsCommand(options: { json?: boolean }, io: CliIO): Promise<number> {
  const models = createCatalog().list();
  if (options.json === true) {
    io.out(
      JSON.stringify(
        models.map(({ ref, official, version, kind, pricing, priceSource }) => ({
          ref,
          official,
          version,
          kind,
          pricing: pricing ?? null,
          priceSource: priceSource ?? null,
        })),
        null,
        2,
      ),
    );
    return EXIT.ok;
  }
  for (const model of models) {
    io.out(
      `${model.ref.padEnd(32)} ${model.kind.padEnd(18)} ${(model.official ? 'official' : 'community').padEnd(9)} ` +
        `${describePrice(model.pricing).padEnd(44)} offline: ${STAND_INS[model.kind]}`,
    );
  }
  return EXIT.ok;
}
