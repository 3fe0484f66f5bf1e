/** What the head spent: model steps that ran (not cache hits) in the runs that wrote its manifest. */
import type { Manifest } from '../manifest/types.js';
import type { HeadCost } from './types.js';

/** The offline stand-ins' provider name: their steps are placeholders and cost nothing. */
const OFFLINE_PROVIDER = 'local';

export function headCost(head: Manifest): HeadCost {
  const cost: HeadCost = { spentUsd: 0, paidSteps: 0, unknownCostSteps: 0, offlineSteps: 0, cachedSteps: 0 };
  for (const recipe of Object.values(head.recipes)) {
    for (const asset of recipe.assets) {
      for (const step of asset.steps) {
        if (step.kind !== 'model') continue;
        if (step.cache_hit) cost.cachedSteps += 1;
        else if (step.provider === OFFLINE_PROVIDER) cost.offlineSteps += 1;
        else if (step.actual_usd === null) cost.unknownCostSteps += 1;
        else {
          cost.paidSteps += 1;
          cost.spentUsd += step.actual_usd;
        }
      }
    }
  }
  // Sums of binary fractions drift (0.1 + 0.2); prices are far coarser than a nano-dollar.
  cost.spentUsd = Math.round(cost.spentUsd * 1e9) / 1e9;
  return cost;
}
