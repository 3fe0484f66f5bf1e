/**
 * Quality gates: after every model step its result is checked — a picture that is blank or all one
 * colour (a black safety-filter image), a cut-out that keeps almost nothing or almost everything, an
 * upscale of the wrong size, an empty text. Which gates a step has follows from what the model does
 * (its kind) and the recipe's `checks` (top level, then the step's, field by field); `checks: false`
 * turns them off. Resolved here when the plan is made; run/gate-check.ts applies them.
 */
import type { ModelKind } from '../models/catalog.js';
import type { Checks } from '../recipe/recipe-types.generated.js';

export type GateName = 'blank' | 'alpha' | 'size' | 'text';

/** A step's gates, resolved; a gate that is absent is off. */
export interface QualityGates {
  /** How many more tries after a failed gate. */
  retries: number;
  blank?: { minStdev: number };
  alpha?: { min: number; max: number };
  size?: true;
  text?: { minChars: number };
}

export const DEFAULT_GATES = {
  retries: 1,
  blank: { minStdev: 2 },
  alpha: { min: 0.01, max: 0.99 },
  text: { minChars: 1 },
} as const;

export interface GateFailure {
  gate: GateName;
  /** In words, with the measured value: `the picture is blank (all #000000)`. */
  reason: string;
}

/** The gates each kind of model gets without being asked. */
const IMPLIED: Record<ModelKind, readonly GateName[]> = {
  'text-to-image': ['blank'],
  upscale: ['size', 'blank'],
  'background-removal': ['alpha'],
  text: ['text'],
};

type CheckFields = Exclude<Checks, false>;

export function resolveGates(
  kind: ModelKind,
  recipeChecks: Checks | undefined,
  stepChecks: Checks | undefined,
): QualityGates {
  if (stepChecks === false || (recipeChecks === false && stepChecks === undefined)) return { retries: 0 };
  const fields: CheckFields = { ...(recipeChecks || {}), ...(stepChecks || {}) };
  const gates: QualityGates = { retries: fields.retries ?? DEFAULT_GATES.retries };
  const wanted = (gate: GateName): boolean => {
    const value = fields[gate];
    if (value === false) return false;
    // Text gates only make sense for text, picture gates only for pictures.
    if ((gate === 'text') !== (kind === 'text')) return false;
    return value !== undefined || IMPLIED[kind].includes(gate);
  };
  if (wanted('blank')) {
    const blank = typeof fields.blank === 'object' ? fields.blank : {};
    gates.blank = { minStdev: blank.min_stdev ?? DEFAULT_GATES.blank.minStdev };
  }
  if (wanted('alpha')) {
    const alpha = typeof fields.alpha === 'object' ? fields.alpha : {};
    gates.alpha = { min: alpha.min ?? DEFAULT_GATES.alpha.min, max: alpha.max ?? DEFAULT_GATES.alpha.max };
  }
  if (wanted('size')) gates.size = true;
  if (wanted('text')) {
    const text = typeof fields.text === 'object' ? fields.text : {};
    gates.text = { minChars: text.min_chars ?? DEFAULT_GATES.text.minChars };
  }
  return gates;
}

/** Whether a gate looks at the pixels (blank, alpha, size): then each picture is measured once. */
export function needsPixels(gates: QualityGates): boolean {
  return gates.blank !== undefined || gates.alpha !== undefined || gates.size !== undefined;
}

export function hasGates(gates: QualityGates): boolean {
  return (
    gates.blank !== undefined ||
    gates.alpha !== undefined ||
    gates.size !== undefined ||
    gates.text !== undefined
  );
}
