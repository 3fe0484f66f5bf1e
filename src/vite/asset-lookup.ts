/**
 * `assetgen:<recipe>/<asset>[/<variant>]` → the manifest's entry and the files the import serves. The
 * recipe part is the recipe's name or its output folder (`heroes/launch` for a recipe `blog-heroes` with
 * `output: heroes`); the variant part is the asset's variant label (`seed-7`), needed only when the asset
 * has several. Reads nothing but the manifest.
 */
import { AssetgenError } from '../errors.js';
import type { Manifest, ManifestAsset, ManifestOutput, ManifestOutputGroup } from '../manifest/types.js';

/** One image an import serves: its primary srcset group and the same image in the other formats. */
export interface AssetSelection {
  /** The id as imported, without `assetgen:`. */
  id: string;
  /** The canonical id: `<output folder>/<asset>[/<variant>]`. */
  key: string;
  asset: ManifestAsset;
  /** The first group (the recipe's first output, image 1): `src`, `srcset`, the size and placeholder. */
  primary: SelectedGroup;
  /** Every group of the same image, modern formats first (for `<picture>` sources). */
  sources: SelectedGroup[];
}

export interface SelectedGroup {
  group: ManifestOutputGroup;
  /** The group's files, narrowest first. */
  files: ManifestOutput[];
}

interface Candidate {
  key: string;
  names: string[];
  asset: ManifestAsset;
}

const FORMAT_ORDER = ['avif', 'webp', 'jpeg', 'png'];

export function selectAsset(manifest: Manifest, id: string, manifestPath: string): AssetSelection {
  const candidates = listAssets(manifest);
  const matches = candidates.filter((candidate) => candidate.names.includes(id));
  if (matches.length === 0) {
    // Without the variant: an asset made in several variants must be imported by one of them.
    const variants = candidates.filter((candidate) =>
      candidate.names.some((name) => name.startsWith(`${id}/`) && !name.slice(id.length + 1).includes('/')),
    );
    if (variants.length > 0)
      throw new AssetgenError(
        'VITE_ASSET_VARIANT',
        `assetgen:${id} has ${variants.length} variants in ${manifestPath}; import one of them: ${variants.map((v) => `assetgen:${v.key}`).join(', ')}`,
      );
    const available = candidates.map((candidate) => candidate.key);
    throw new AssetgenError(
      'VITE_ASSET_UNKNOWN',
      `no asset "${id}" in ${manifestPath} (import assetgen:<recipe or output folder>/<asset>[/<variant>]); ` +
        (available.length === 0
          ? 'it lists no assets: run assetgen first'
          : `available: ${available.slice(0, 30).join(', ')}${available.length > 30 ? `, … (${available.length} in all)` : ''}`),
    );
  }
  const [match] = matches as [Candidate];
  const { asset } = match;
  if (asset.status !== 'ok')
    throw new AssetgenError(
      'VITE_ASSET_FAILED',
      `assetgen:${id} was not made in the last run (${asset.status}${asset.error === undefined ? '' : `: ${asset.error}`}); run assetgen again`,
    );
  const groups = (asset.groups ?? []).map((group) => selectedGroup(asset, group));
  const primary = groups[0];
  if (primary === undefined)
    throw new AssetgenError(
      'VITE_ASSET_NO_GROUPS',
      `assetgen:${id} has no output groups in ${manifestPath} (written by an older assetgen, or the asset has no outputs); run assetgen again`,
    );
  const sources = groups
    .filter((entry) => entry.group.image === primary.group.image)
    .sort((a, b) => formatRank(a.group.format) - formatRank(b.group.format));
  return { id, key: match.key, asset, primary, sources };
}

function selectedGroup(asset: ManifestAsset, group: ManifestOutputGroup): SelectedGroup {
  const files = group.paths.map((path) => {
    const file = asset.outputs.find((output) => output.path === path);
    if (file === undefined)
      throw new AssetgenError('VITE_MANIFEST', `the manifest's group lists ${path}, which is not an output`);
    return file;
  });
  return { group, files };
}

function formatRank(format: string): number {
  const rank = FORMAT_ORDER.indexOf(format);
  return rank < 0 ? FORMAT_ORDER.length : rank;
}

/** Every asset of the manifest under the names it can be imported by. */
function listAssets(manifest: Manifest): Candidate[] {
  const candidates: Candidate[] = [];
  for (const [name, recipe] of Object.entries(manifest.recipes)) {
    const prefixes = [...new Set([recipe.output, name])];
    for (const asset of recipe.assets) {
      const label = typeof asset.variables.variant === 'string' ? asset.variables.variant : '';
      const tail = label === '' ? asset.id : `${asset.id}/${label}`;
      const names = prefixes.map((prefix) => `${prefix}/${tail}`);
      // An asset made in one variant only can be imported without it.
      const only = recipe.assets.filter((other) => other.id === asset.id).length === 1;
      if (only && label !== '') names.push(...prefixes.map((prefix) => `${prefix}/${asset.id}`));
      candidates.push({ key: `${recipe.output}/${tail}`, names, asset });
    }
  }
  return candidates;
}
