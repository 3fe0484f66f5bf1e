import { addModels } from '../../api/models-add.js';
import { createCatalog, type Pricing } from '../../models/catalog.js';
import { formatUsd } from '../../plan/cost.js';
import { cacheOptions } from '../cache-options.js';
import { EXIT } from '../exit-codes.js';
import { replicateOptions } from '../library-options.js';
import type { CliIO } from '../output.js';

const STAND_INS = {
  'text-to-image': 'placeholder picture (prompt, seed, size shown)',
  upscale: 'lanczos3 resize',
  'background-removal': 'border-estimated matting',
  text: 'deterministic text from the prompt',
} as const;

function describePrice(pricing: Pricing | undefined): string {
  if (pricing === undefined) return 'no published price (give the step a price:)';
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

export interface ModelsAddOptions {
  cacheDir?: string;
  /** `--cache s3://…`: the shared cache behind the folder. */
  cache?: string;
  lock?: string;
  official?: boolean;
  baseUrl?: string;
  json?: boolean;
}

/** `assetgen models add owner/name[:version]…`: fetch, store and pin (src/api/models-add.ts). */
export async function modelsAddCommand(
  refs: readonly string[],
  options: ModelsAddOptions,
  io: CliIO,
): Promise<number> {
  const report = await addModels(refs, {
    cwd: io.cwd,
    replicate: replicateOptions(options, io),
    onWarning: (message) => io.err(`warning: ${message}`),
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    ...cacheOptions(options.cache, io),
    ...(options.lock === undefined ? {} : { lock: options.lock }),
    ...(options.official === undefined ? {} : { official: options.official }),
  });
  if (options.json === true) {
    io.out(JSON.stringify(report, null, 2));
    return EXIT.ok;
  }
  for (const model of report.models) {
    const pin = model.official
      ? `official, schema ${model.schema.slice(0, 12)}…`
      : `version ${model.version}`;
    io.out(
      `${model.ref}: ${pin}; ${model.kind === 'text' ? 'makes text' : 'makes images'} (${model.output})` +
        `${model.imageInput === null ? '' : `, image input "${model.imageInput}"`}; inputs: ${model.inputs.join(', ')}`,
    );
  }
  const pinned = report.models.filter((model) => model.pinned).length;
  const stored = report.remote === undefined ? report.cacheDir : `${report.cacheDir} and ${report.remote}`;
  io.out(
    pinned > 0
      ? `pinned ${pinned} model${pinned === 1 ? '' : 's'} in ${report.lockPath}; schemas in ${stored}`
      : `schemas stored in ${stored} (versioned references pin themselves)`,
  );
  return EXIT.ok;
}
