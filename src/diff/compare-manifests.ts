/**
 * Two manifests → the change report's data: every asset (by recipe, id and variant) added, removed,
 * changed (with its reasons) or unchanged, and what the head spent. Pure: reads no files.
 */
import type { Manifest, ManifestAsset } from '../manifest/types.js';
import { headCost } from './head-cost.js';
import { pairOutputs } from './output-reasons.js';
import { reasonsBetween } from './step-reasons.js';
import type { AssetChange, AssetDiff, ManifestDiff } from './types.js';

interface Located {
  recipe: string;
  asset: ManifestAsset;
  variant: string;
  label: string;
}

/** The variant's label as the run names it (`seed-42`), from the recorded built-in variable. */
function variantOf(asset: ManifestAsset): string {
  const recorded = asset.variables.variant;
  if (typeof recorded === 'string') return recorded;
  return Object.entries(asset.variant)
    .map(([name, value]) => `${name}-${String(value)}`)
    .join('_');
}

function locate(manifest: Manifest): Map<string, Located> {
  const found = new Map<string, Located>();
  for (const recipe of Object.keys(manifest.recipes).sort()) {
    for (const asset of manifest.recipes[recipe]?.assets ?? []) {
      const variant = variantOf(asset);
      const label = [recipe, asset.id, ...(variant === '' ? [] : [variant])].join('/');
      found.set(JSON.stringify([recipe, asset.id, variant]), { recipe, asset, variant, label });
    }
  }
  return found;
}

const ORDER: readonly AssetChange[] = ['changed', 'added', 'removed', 'unchanged'];

export function compareManifests(base: Manifest, head: Manifest): ManifestDiff {
  const before = locate(base);
  const after = locate(head);
  const assets: AssetDiff[] = [];
  for (const [key, now] of after) {
    const was = before.get(key);
    const common = { label: now.label, recipe: now.recipe, id: now.asset.id, variant: now.variant };
    if (was === undefined) {
      const outputs = pairOutputs([], now.asset.outputs);
      assets.push({ ...common, change: 'added', reasons: [], outputs, after: now.asset });
      continue;
    }
    const outputs = pairOutputs(was.asset.outputs, now.asset.outputs);
    const reasons = reasonsBetween(was.asset, now.asset, outputs);
    const change = reasons.length > 0 ? 'changed' : 'unchanged';
    assets.push({ ...common, change, reasons, outputs, before: was.asset, after: now.asset });
  }
  for (const [key, was] of before) {
    if (after.has(key)) continue;
    const outputs = pairOutputs(was.asset.outputs, []);
    assets.push({
      label: was.label,
      recipe: was.recipe,
      id: was.asset.id,
      variant: was.variant,
      change: 'removed',
      reasons: [],
      outputs,
      before: was.asset,
    });
  }
  // Stable: by kind of change, then the order above (recipes by name, assets in manifest order).
  const sorted = ORDER.flatMap((change) => assets.filter((asset) => asset.change === change));
  const count = (change: AssetChange) => assets.filter((asset) => asset.change === change).length;
  return {
    assets: sorted,
    counts: {
      changed: count('changed'),
      added: count('added'),
      removed: count('removed'),
      unchanged: count('unchanged'),
    },
    cost: headCost(head),
    generators: { base: base.generator.version, head: head.generator.version },
  };
}

/** True when anything was added, removed or changed. */
export function hasChanges(diff: ManifestDiff): boolean {
  return diff.counts.changed + diff.counts.added + diff.counts.removed > 0;
}
