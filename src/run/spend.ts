/**
 * What a run spent, told by where the money went: predictions this run created, and predictions an
 * earlier (interrupted) run created that this one resumed — their cost is this project's money too, but
 * it was not this run's create. A task that never got a prediction (refused create, cancelled while
 * queued, cache hit) spends nothing. A prediction's cost comes from its metrics; when they could not be
 * read it is booked at its estimate, and counted as such.
 */
import { formatUsd } from '../plan/cost.js';

export type PredictionOrigin = 'created' | 'resumed';

export interface SpendTally {
  /**
   * Predictions this run created, and what they cost; `replacing`: how many of them stand in for a
   * prediction an earlier run made that gave no result (failed, canceled, aborted, expired, unknown).
   */
  created: { count: number; usd: number; replacing: number };
  /** Predictions an earlier run created that this run re-attached to or adopted, and what they cost. */
  resumed: { count: number; usd: number };
  /** How many of them are booked at their estimate because their actual cost is unknown. */
  atEstimate: number;
}

export interface SpendLedger {
  /** Books one prediction once its cost is known (`estimated`: the estimate stands in for it). */
  book(origin: PredictionOrigin, usd: number, options: { estimated: boolean; replacing: boolean }): void;
  tally(): SpendTally;
}

export function createSpendLedger(): SpendLedger {
  const tally: SpendTally = {
    created: { count: 0, usd: 0, replacing: 0 },
    resumed: { count: 0, usd: 0 },
    atEstimate: 0,
  };
  return {
    book(origin, usd, { estimated, replacing }) {
      const line = tally[origin];
      line.count += 1;
      line.usd = Math.round((line.usd + usd) * 1e9) / 1e9;
      if (origin === 'created' && replacing) tally.created.replacing += 1;
      if (estimated) tally.atEstimate += 1;
    },
    tally: () => ({
      created: { ...tally.created },
      resumed: { ...tally.resumed },
      atEstimate: tally.atEstimate,
    }),
  };
}

/**
 * The summary's money clause, with the estimate's own clause (`estimated $0.03`) at its end: `spent $0.03 on 10 predictions (10 created; estimated $0.03)`,
 * `spent $0.024 on 8 predictions (0 created, 8 resumed from an earlier run: $0.024; estimated $0.03)`,
 * `spent $0 (no prediction created; estimated $0.03)`.
 */
export function formatSpend(tally: SpendTally, estimate: string): string {
  const count = tally.created.count + tally.resumed.count;
  if (count === 0) return `spent $0 (no prediction created; ${estimate})`;
  const replacing =
    tally.created.replacing > 0
      ? `, ${tally.created.replacing} of them in place of an earlier run's that gave no result`
      : '';
  const parts = [`${tally.created.count} created${replacing}`];
  if (tally.resumed.count > 0) {
    parts.push(`${tally.resumed.count} resumed from an earlier run: ${formatUsd(tally.resumed.usd)}`);
  }
  if (tally.atEstimate > 0) parts.push(`${tally.atEstimate} booked at their estimate, cost unknown`);
  const usd = formatUsd(tally.created.usd + tally.resumed.usd);
  return `spent ${usd} on ${count} prediction${count === 1 ? '' : 's'} (${parts.join(', ')}; ${estimate})`;
}
