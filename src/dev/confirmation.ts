/**
 * Before a dev session spends: what a change would cost decides whether it runs at once (nothing to
 * pay), asks first (a key in the terminal or a button in the page, whichever answers first), runs
 * unasked (`yes`, within `maxCostUsd`) or is refused (it would take the session past `maxCostUsd`,
 * counted over every run of the session). A later save supersedes a question still open.
 */
import { formatUsd } from '../plan/cost.js';

/** A change waiting for a yes: what it would run on Replicate and cost. */
export interface SpendRequest {
  /** Answer with this id (a page showing an older question cannot confirm a newer one). */
  id: number;
  /** Paid tasks that would run (not in the cache). */
  tasks: number;
  /** The estimate in USD; null when a price is unknown. */
  estimatedUsd: number | null;
}

export type SpendAnswer = 'run' | 'skip' | 'superseded';

export interface Confirmations {
  /** Opens a question (superseding an open one); resolves with its answer. */
  ask(question: Omit<SpendRequest, 'id'>): { request: SpendRequest; answer: Promise<SpendAnswer> };
  /** Answers the open question `id`; false when there is none by that id (already answered, superseded). */
  answer(id: number, run: boolean): boolean;
  /** Ends an open question unanswered (a newer save, or the session ends). */
  supersede(): void;
  pending(): SpendRequest | null;
}

export function createConfirmations(): Confirmations {
  let nextId = 1;
  let open: { request: SpendRequest; resolve: (answer: SpendAnswer) => void } | null = null;
  const settle = (answer: SpendAnswer) => {
    const current = open;
    open = null;
    current?.resolve(answer);
  };
  return {
    ask(question) {
      settle('superseded');
      const request: SpendRequest = { id: nextId++, ...question };
      const answer = new Promise<SpendAnswer>((resolve) => {
        open = { request, resolve };
      });
      return { request, answer };
    },
    answer(id, run) {
      if (open === null || open.request.id !== id) return false;
      settle(run ? 'run' : 'skip');
      return true;
    },
    supersede: () => settle('superseded'),
    pending: () => open?.request ?? null,
  };
}

export type SpendDecision = { kind: 'run' } | { kind: 'ask' } | { kind: 'refuse'; message: string };

export interface SpendPolicy {
  /** Run without asking (only with `maxCostUsd`). */
  yes: boolean;
  /** The most the whole session may spend, in USD. */
  maxCostUsd?: number;
}

const usd = (value: number): string => formatUsd(value);

/** What to do with a change that would run `tasks` paid tasks for `estimatedUsd`, `spentUsd` spent so far. */
export function decideSpend(
  change: { tasks: number; estimatedUsd: number | null },
  spentUsd: number,
  policy: SpendPolicy,
): SpendDecision {
  if (change.tasks === 0) return { kind: 'run' };
  const { maxCostUsd } = policy;
  if (maxCostUsd !== undefined) {
    const left = Math.max(0, maxCostUsd - spentUsd);
    if (change.estimatedUsd === null)
      return {
        kind: 'refuse',
        message: `the change's cost is unknown (a model without a price), so --max-cost ${usd(maxCostUsd)} cannot be kept; nothing was spent`,
      };
    if (change.estimatedUsd > left + 1e-12)
      return {
        kind: 'refuse',
        message:
          `the change would cost about ${usd(change.estimatedUsd)} and ${usd(left)} of --max-cost ${usd(maxCostUsd)} ` +
          `is left (spent ${usd(spentUsd)} this session); nothing was spent — restart with a higher --max-cost to go on`,
      };
  }
  return policy.yes ? { kind: 'run' } : { kind: 'ask' };
}

export { usd as formatDevUsd };
