/**
 * Which planned tasks are the same task: the plan-time side of the task key (run/keys.ts). Two model
 * steps with the same model, version, rendered input and the same upstream steps (by their own
 * identity) get the same key when they run, so the run does them once (`once` in run/context.ts) and the
 * estimate must count them once. Known only at run time — the upstream images' bytes, the text of text
 * steps — is stood in for by the upstream step's identity; a step whose input waits for a text also
 * carries its asset's variables (the template is not rendered yet), so it is never taken for another.
 * The identity can only split tasks that turn out equal (an over-estimate), never merge different ones.
 */
import { hashKey } from '../store/hash.js';
import type { PlannedAsset } from './plan.js';

/** Each step's identity (by step id) for one asset; `dir` is its recipe's folder (overlays resolve there). */
export function stepIdentities(asset: PlannedAsset, dir: string): Map<string, string> {
  const ids = new Map<string, string>();
  for (const step of asset.steps) {
    if (step.kind === 'image') {
      ids.set(
        step.id,
        hashKey({ kind: 'image', dir, operations: step.operations, from: ids.get(step.fromStep) ?? null }),
      );
      continue;
    }
    ids.set(
      step.id,
      hashKey({
        kind: 'model',
        model: step.model,
        version: step.version ?? null,
        ...(step.deployment === undefined ? {} : { deployment: step.deployment }),
        input: step.input,
        image:
          step.imageInput === undefined
            ? null
            : { field: step.imageInput.field, from: ids.get(step.imageInput.fromStep) ?? null },
        texts: step.textFrom.map((id) => ids.get(id) ?? null),
        vars: step.textFrom.length > 0 ? asset.instance.vars : null,
      }),
    );
  }
  return ids;
}
