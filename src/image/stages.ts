/**
 * Grouping a recipe's operations into sharp pipelines ("stages").
 *
 * sharp records options and runs them in ONE fixed internal order whatever the call order (see
 * sharp/src/pipeline.cc: trim → pre-resize extract → flatten → greyscale → resize → flip/flop → rotate →
 * extend → blur → modulate → sharpen → composite). A recipe's operations run in the order written, so a run
 * of operations may share one pipeline only while their order agrees with sharp's; everywhere else the
 * image is materialised (as raw pixels, no re-encoding) and a new pipeline starts. One decode per chain;
 * one raw hand-over per boundary.
 */
import { AssetgenError, expected } from '../errors.js';
import type { Operation } from '../recipe/recipe-types.generated.js';

export type OperationName = keyof Operation;

/** Position of each operation in sharp's internal order. */
const SHARP_ORDER: Readonly<Record<OperationName, number>> = {
  trim: 1,
  crop: 2,
  flatten: 3,
  greyscale: 4,
  resize: 5,
  flip: 6,
  rotate: 7,
  extend: 8,
  blur: 9,
  modulate: 10,
  sharpen: 11,
  composite: 12,
};

export const OPERATION_NAMES = Object.keys(SHARP_ORDER) as OperationName[];

export interface PlannedOperation {
  /** Position in the recipe's list (0-based). */
  index: number;
  name: OperationName;
  options: Record<string, unknown>;
}

export interface Stage {
  ops: PlannedOperation[];
}

/** Checks that each operation has exactly one known key whose value is an object. */
export function readOperation(op: unknown, index: number): PlannedOperation {
  const keys = typeof op === 'object' && op !== null && !Array.isArray(op) ? Object.keys(op) : [];
  const name = keys[0];
  const forWhat = `image operation ${index + 1}`;
  if (keys.length !== 1 || name === undefined || !(name in SHARP_ORDER)) {
    const received = keys.length === 1 ? name : op;
    throw new AssetgenError(
      'IMAGE_OPERATION',
      expected(`an object with one of ${OPERATION_NAMES.join(', ')}`, forWhat, received),
    );
  }
  const options = (op as Record<string, unknown>)[name] ?? {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new AssetgenError(
      'IMAGE_OPERATION',
      expected('an object of options', `${forWhat} (${name})`, options),
    );
  }
  return { index, name: name as OperationName, options: options as Record<string, unknown> };
}

/** Whether `next` must start a new pipeline after `stage`'s last operation. */
function needsBoundary(stage: Stage, next: PlannedOperation): boolean {
  const last = stage.ops.at(-1);
  if (!last) return false;
  // sharp would run `next` before `last`: materialise so the recipe's order holds.
  if (SHARP_ORDER[next.name] <= SHARP_ORDER[last.name]) return true;
  // greyscale turns the image into one band (+ alpha); colours added after it (extend, contain, rotate
  // backgrounds) would come out grey in the same pipeline, and sharp's raw output drops the alpha band.
  if (last.name === 'greyscale') return true;
  // crop checks its region against the current size, which trim makes data-dependent.
  if (next.name === 'crop' && stage.ops.some((op) => op.name === 'trim')) return true;
  // composite places (and checks) the overlay against the size of the image it lands on.
  if (next.name === 'composite') return true;
  return false;
}

/** Splits operations into the fewest pipelines that still apply them in the recipe's order. */
export function planStages(ops: readonly Operation[]): Stage[] {
  const stages: Stage[] = [];
  let current: Stage = { ops: [] };
  ops.forEach((op, index) => {
    const planned = readOperation(op, index);
    if (needsBoundary(current, planned)) {
      stages.push(current);
      current = { ops: [] };
    }
    current.ops.push(planned);
  });
  if (current.ops.length > 0) stages.push(current);
  return stages;
}
