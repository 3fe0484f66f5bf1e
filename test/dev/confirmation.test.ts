/** Spend decisions of a dev session (a table) and the open question's life: answered once, superseded by a save. */
import { describe, expect, it } from 'vitest';
import { createConfirmations, decideSpend } from '../../src/dev/confirmation.js';

describe('decideSpend', () => {
  const cases = [
    [
      'nothing to pay runs, even past the cap',
      { tasks: 0, estimatedUsd: 0 },
      5,
      { yes: false, maxCostUsd: 1 },
      'run',
    ],
    ['asks without --yes', { tasks: 2, estimatedUsd: 0.006 }, 0, { yes: false }, 'ask'],
    [
      'asks without --yes within the cap',
      { tasks: 2, estimatedUsd: 0.006 },
      0,
      { yes: false, maxCostUsd: 1 },
      'ask',
    ],
    [
      'runs with --yes within the cap',
      { tasks: 2, estimatedUsd: 0.006 },
      0.014,
      { yes: true, maxCostUsd: 0.02 },
      'run',
    ],
    [
      'refuses past the cap, counted over the session',
      { tasks: 2, estimatedUsd: 0.006 },
      0.015,
      { yes: true, maxCostUsd: 0.02 },
      'refuse',
    ],
    [
      'refuses past the cap without --yes too',
      { tasks: 1, estimatedUsd: 0.5 },
      0,
      { yes: false, maxCostUsd: 0.1 },
      'refuse',
    ],
    [
      'refuses an unknown cost under a cap',
      { tasks: 1, estimatedUsd: null },
      0,
      { yes: true, maxCostUsd: 1 },
      'refuse',
    ],
    ['asks about an unknown cost without a cap', { tasks: 1, estimatedUsd: null }, 0, { yes: false }, 'ask'],
  ] as const;
  it.each(cases)('%s', (_name, change, spent, policy, kind) => {
    expect(decideSpend(change, spent, policy).kind).toBe(kind);
  });
});

describe('confirmations', () => {
  it('answers the open question once, by its id; a newer question supersedes it', async () => {
    const confirmations = createConfirmations();
    const first = confirmations.ask({ tasks: 1, estimatedUsd: 0.003 });
    const second = confirmations.ask({ tasks: 2, estimatedUsd: 0.006 });
    expect(await first.answer).toBe('superseded');
    expect(confirmations.answer(first.request.id, true)).toBe(false);
    expect(confirmations.pending()).toEqual(second.request);
    expect(confirmations.answer(second.request.id, true)).toBe(true);
    expect(await second.answer).toBe('run');
    expect(confirmations.answer(second.request.id, false)).toBe(false);
    expect(confirmations.pending()).toBeNull();
    const third = confirmations.ask({ tasks: 1, estimatedUsd: 0.003 });
    confirmations.supersede();
    expect(await third.answer).toBe('superseded');
  });
});
