/**
 * The budget guard: a paid task reserves its estimate before it starts and settles with its actual
 * cost when its prediction ends (task-lease.ts), or releases the reservation when it never got a
 * prediction. No new paid task starts once spent + reserved + its estimate would exceed the limit.
 */

export interface Reservation {
  readonly estimateUsd: number;
}

export interface Budget {
  readonly maxUsd: number | undefined;
  /** Reserves the estimate, or returns undefined when it does not fit. Unknown costs never fit a limit. */
  reserve(estimateUsd: number | null): Reservation | undefined;
  /** Releases a reservation and records what was actually spent (the estimate when actual is unknown). */
  settle(reservation: Reservation, actualUsd: number | null): void;
  /** Gives a reservation back without spending (the task never started). */
  release(reservation: Reservation): void;
  spentUsd(): number;
  reservedUsd(): number;
}

export function createBudget(maxUsd: number | undefined): Budget {
  let spent = 0;
  let reserved = 0;
  return {
    maxUsd,
    reserve(estimateUsd) {
      if (maxUsd !== undefined) {
        if (estimateUsd === null) return undefined;
        if (spent + reserved + estimateUsd > maxUsd + 1e-12) return undefined;
      }
      const estimate = estimateUsd ?? 0;
      reserved += estimate;
      return { estimateUsd: estimate };
    },
    settle(reservation, actualUsd) {
      reserved -= reservation.estimateUsd;
      spent += actualUsd ?? reservation.estimateUsd;
    },
    release(reservation) {
      reserved -= reservation.estimateUsd;
    },
    spentUsd: () => spent,
    reservedUsd: () => reserved,
  };
}

/** A recipe's own budget inside the run's: a task must fit both. */
export function nestBudget(inner: Budget, outer: Budget): Budget {
  const pairs = new WeakMap<Reservation, [Reservation, Reservation]>();
  return {
    maxUsd: inner.maxUsd,
    reserve(estimateUsd) {
      const first = inner.reserve(estimateUsd);
      if (first === undefined) return undefined;
      const second = outer.reserve(estimateUsd);
      if (second === undefined) {
        inner.release(first);
        return undefined;
      }
      const reservation: Reservation = { estimateUsd: first.estimateUsd };
      pairs.set(reservation, [first, second]);
      return reservation;
    },
    settle(reservation, actualUsd) {
      const pair = pairs.get(reservation);
      if (pair === undefined) return;
      inner.settle(pair[0], actualUsd);
      outer.settle(pair[1], actualUsd);
    },
    release(reservation) {
      const pair = pairs.get(reservation);
      if (pair === undefined) return;
      inner.release(pair[0]);
      outer.release(pair[1]);
    },
    spentUsd: () => outer.spentUsd(),
    reservedUsd: () => outer.reservedUsd(),
  };
}
