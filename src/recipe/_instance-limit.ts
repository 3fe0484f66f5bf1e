/**
 * The cap on asset × variant instances, computed as a product before anything is expanded: a recipe of
 * 100 assets × 100 × 100 variant values would otherwise take minutes and gigabytes to expand and check
 * before it could be refused.
 */
import { type CheckContext, listAt } from './_context.js';
import { isRecord } from './_paths.js';

/** Default most instances per recipe (`limits.max_instances`, `--max-instances`). */
export const DEFAULT_MAX_INSTANCES = 10_000;

/** Assets well-formed enough to expand, each id once (the others were reported). */
export function countableAssets(data: Record<string, unknown>): Record<string, unknown>[] {
  const ids = new Set<string>();
  return listAt(data, 'assets').filter((asset): asset is Record<string, unknown> => {
    if (!isRecord(asset) || typeof asset.id !== 'string' || ids.has(asset.id)) return false;
    ids.add(asset.id);
    return true;
  });
}

/** Reports a recipe over its instance limit; returns whether its instances may be expanded. */
export function checkInstanceCount(context: CheckContext, override: number | undefined): boolean {
  const { data } = context;
  const limits = isRecord(data.limits) ? data.limits : {};
  const own = typeof limits.max_instances === 'number' ? limits.max_instances : undefined;
  const limit = override ?? own ?? DEFAULT_MAX_INSTANCES;
  const assets = countableAssets(data).length;
  const variants = isRecord(data.variants) ? data.variants : {};
  const factors = Object.entries(variants).filter(
    (entry): entry is [string, unknown[]] => Array.isArray(entry[1]) && entry[1].length > 0,
  );
  const count = factors.reduce((product, [, values]) => product * values.length, assets);
  if (count <= limit) return true;
  const parts = [
    `${assets} asset${assets === 1 ? '' : 's'}`,
    ...factors.map(([name, v]) => `${v.length} ${name}`),
  ];
  const where = factors.length > 0 ? ['variants'] : ['assets'];
  const how =
    override === undefined
      ? `raise it with limits: { max_instances: ${count} } in the recipe, or --max-instances ${count}`
      : `raise --max-instances to ${count}`;
  context.problems.add(
    where,
    `the recipe makes ${format(count)} asset × variant instances (${parts.join(' × ')}), more than the limit of ${format(limit)} (${how})`,
    { at: 'key' },
  );
  return false;
}

const format = (count: number): string => count.toLocaleString('en-US');
