/** Words and numbers shared by the HTML page, the Markdown summary and the CLI's lines. */
import { formatUsd } from '../plan/cost.js';
import type { ChangeReason, HeadCost, ReasonKind } from './types.js';

export const REASON_LABELS: Readonly<Record<ReasonKind, string>> = {
  status: 'status',
  steps: 'steps',
  provider: 'provider',
  model: 'model',
  'model-version': 'model version',
  prompt: 'prompt',
  seed: 'seed',
  'model-input': 'model input',
  'upstream-result': 'model result',
  'post-processing': 'post-processing',
  outputs: 'output format/size',
  pixels: 'pixels only',
};

/** A share of differing pixels as a percentage; never rounds a difference down to 0. */
export function formatScore(share: number): string {
  if (share === 0) return '0 %';
  const percent = share * 100;
  if (percent < 0.01) return '< 0.01 %';
  if (percent < 10) return `${percent.toFixed(2)} %`;
  return `${percent.toFixed(1)} %`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

export function describeCost(cost: HeadCost): string {
  const parts = [
    ...(cost.paidSteps > 0 ? [plural(cost.paidSteps, 'paid prediction')] : []),
    ...(cost.unknownCostSteps > 0 ? [`${plural(cost.unknownCostSteps, 'prediction')} of unknown cost`] : []),
    ...(cost.offlineSteps > 0 ? [`${plural(cost.offlineSteps, 'placeholder')} made offline`] : []),
    ...(cost.cachedSteps > 0 ? [plural(cost.cachedSteps, 'cache hit')] : []),
  ];
  const spent = `${cost.unknownCostSteps > 0 ? 'at least ' : ''}${formatUsd(cost.spentUsd)}`;
  return `head spent ${spent}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}

/** `prompt (draft), post-processing (tidy)`: each kind and step once. */
export function summarizeReasons(reasons: readonly ChangeReason[]): string {
  const seen = new Set<string>();
  for (const reason of reasons) {
    seen.add(
      reason.step === undefined
        ? REASON_LABELS[reason.kind]
        : `${REASON_LABELS[reason.kind]} (${reason.step})`,
    );
  }
  return [...seen].join(', ');
}
