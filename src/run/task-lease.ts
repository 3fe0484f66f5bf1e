/**
 * What a paid model task holds while it runs, and the booking of what its predictions cost.
 *
 * Holdings: a remote slot and its budget reservation until the model is done (`modelDone` settles the
 * cost and hands the slot on), then a transfer slot while its outputs are fetched. A task on a free
 * provider holds none of them.
 *
 * Booking: a prediction is booked once — when it is done (`onModelDone`, actual cost), when it ended
 * without a result (`prediction-ended`, its cost from its metrics: a canceled one the seconds it ran, an
 * aborted one nothing), or, if the task ends while its prediction's outcome is unknown, at its estimate. A
 * task that never got a prediction (create refused, cancelled while queued) gives its reservation back
 * and spends nothing.
 */

import { CancelledError } from '../errors.js';
import { type PlannedAsset, type PlannedModelStep, stepPosition } from '../plan/plan.js';
import type { Reservation } from './budget.js';
import { NotStartedError, type RunContext, SkippedError } from './context.js';
import type { TaskRef } from './events.js';
import type { Release } from './pools.js';
import type { PredictionOrigin } from './spend.js';

export interface TaskLease {
  /** Waits for a slot (later steps of a chain first), then reserves — not while queued. */
  start(): Promise<void>;
  /** The provider's `prediction-created`: the prediction this task now waits for, and whose create it was. */
  predictionStarted(predictionId: string, origin: PredictionOrigin): void;
  /** The provider's `prediction-ended`: that prediction ended without a result; books its cost. */
  predictionEnded(predictionId: string, actualUsd: number | null): void;
  /** Settles the current prediction with its actual cost and hands the remote slot on. */
  modelDone(actualUsd: number | null): void;
  /** The provider's `onModelDone`: settle, hand the slot on, wait for a transfer slot. */
  onModelDone(done: { actualUsd: number | null }): Promise<void>;
  /** Where the current prediction came from (undefined before there is one). */
  origin(): PredictionOrigin | undefined;
  /** Before running the task anew after a resumed prediction gave nothing: slot and reservation again. */
  restart(): Promise<void>;
  /** The next prediction created stands in for an earlier run's that gave no result (for the summary). */
  replacing(): void;
  /** Hands back whatever is still held; an unsettled prediction is booked at its estimate. */
  end(): void;
}

export function createTaskLease(
  context: RunContext,
  asset: PlannedAsset,
  step: PlannedModelStep,
  task: TaskRef,
  estimatedUsd: number | null,
): TaskLease {
  const paid = context.provider.paid;
  const budget = context.budgetFor(asset.recipe);
  const priority = stepPosition(asset, step);
  let releaseRemote: Release | undefined;
  let releaseTransfer: Release | undefined;
  let reservation: Reservation | undefined;
  let current: { id: string | undefined; origin: PredictionOrigin; booked: boolean } | undefined;
  let replacing = false;

  const reportCost = (): void =>
    context.emit({
      type: 'cost',
      spentUsd: context.budget.spentUsd(),
      reservedUsd: context.budget.reservedUsd(),
    });
  /** Books the current prediction once; null = unknown, booked at the estimate. */
  const book = (actualUsd: number | null): void => {
    if (!paid || current?.booked === true) return;
    const origin = current?.origin ?? 'created';
    current = { id: current?.id, origin, booked: true };
    if (reservation !== undefined) {
      budget.settle(reservation, actualUsd);
      reservation = undefined;
    }
    context.spend.book(origin, actualUsd ?? estimatedUsd ?? 0, {
      estimated: actualUsd === null,
      replacing: origin === 'created' && replacing,
    });
    reportCost();
  };
  const handOnRemote = (): void => {
    releaseRemote?.();
    releaseRemote = undefined;
  };
  const reserve = (): void => {
    reservation = budget.reserve(estimatedUsd);
    if (reservation === undefined) throw new SkippedError(task, 'the budget would be exceeded');
  };
  const modelDone = (actualUsd: number | null): void => {
    book(actualUsd);
    handOnRemote();
  };

  return {
    async start() {
      if (paid) releaseRemote = await context.pools.acquireRemote(step.model, priority);
      if (context.signal.aborted) throw new CancelledError();
      if (context.stop.reason !== undefined) throw new NotStartedError(task, context.stop.reason);
      if (paid) reserve();
    },
    predictionStarted(predictionId, origin) {
      if (current?.id === predictionId) return;
      current = { id: predictionId, origin, booked: false };
    },
    predictionEnded(predictionId, actualUsd) {
      if (current?.id !== predictionId) return;
      modelDone(actualUsd);
    },
    modelDone,
    async onModelDone(done) {
      modelDone(done.actualUsd);
      releaseTransfer = await context.pools.acquireTransfer();
    },
    origin: () => current?.origin,
    replacing() {
      replacing = true;
    },
    async restart() {
      releaseTransfer?.();
      releaseTransfer = undefined;
      current = undefined;
      if (!paid) return;
      if (releaseRemote === undefined)
        releaseRemote = await context.pools.acquireRemote(step.model, priority);
      if (context.signal.aborted) throw new CancelledError();
      if (context.stop.reason !== undefined) throw new NotStartedError(task, context.stop.reason);
      if (reservation === undefined) reserve();
    },
    end() {
      if (current !== undefined && !current.booked) book(null);
      else if (reservation !== undefined) {
        budget.release(reservation);
        reservation = undefined;
        reportCost();
      }
      handOnRemote();
      releaseTransfer?.();
      releaseTransfer = undefined;
    },
  };
}
