/**
 * Profiles (`profiles: { draft: { steps: { art: { model, input, price } } } }`): every profile's step
 * ids are checked against the recipe's model steps, and the chosen one (`--profile`) is applied to the
 * recipe's data before the model checks, so the swapped model's schema validates the merged input. A
 * problem in what a profile sets is located in the profile (`redirect`), not at the step it changes.
 *
 * Rules: `model` replaces the step's model (and drops the step's own `price:` unless the profile gives
 * one); `input` is merged over the step's input key by key, a key set to null removing it; `price`
 * replaces the step's price.
 */
import type { PathSegment } from './_paths.js';
import { isRecord } from './_paths.js';
import type { ProblemSink } from './_problems.js';
import { didYouMean, listOf } from './_suggest.js';

export interface AppliedProfile {
  /** The recipe's data with the profile applied (the input object is not changed). */
  data: Record<string, unknown>;
  /** Maps a path in `data` that the profile set to where the profile sets it. */
  redirect?: (segments: readonly PathSegment[]) => readonly PathSegment[] | undefined;
}

type Overrides = Record<string, Record<string, unknown>>;

function profilesOf(data: Record<string, unknown>): Record<string, Record<string, unknown>> {
  return isRecord(data.profiles) ? (data.profiles as Record<string, Record<string, unknown>>) : {};
}

/** Checks every profile's step ids; applies `profile` when given. Problems go to `problems`. */
export function applyProfile(
  data: Record<string, unknown>,
  profile: string | undefined,
  problems: ProblemSink,
): AppliedProfile {
  const profiles = profilesOf(data);
  const steps = Array.isArray(data.steps) ? data.steps : [];
  const ids = steps.flatMap((step) => (isRecord(step) && typeof step.id === 'string' ? [step.id] : []));
  const modelSteps = steps.flatMap((step) =>
    isRecord(step) && typeof step.id === 'string' && step.model !== undefined ? [step.id] : [],
  );
  for (const [name, declared] of Object.entries(profiles)) {
    const overrides = isRecord(declared.steps) ? (declared.steps as Overrides) : {};
    for (const id of Object.keys(overrides)) {
      const at = ['profiles', name, 'steps', id];
      if (!ids.includes(id)) {
        problems.add(
          at,
          `unknown step "${id}"${didYouMean(id, modelSteps)}; the recipe's model steps are: ${listOf(modelSteps) || 'none'}`,
          { at: 'key' },
        );
      } else if (!modelSteps.includes(id)) {
        problems.add(at, `step "${id}" is an image step: a profile changes model steps only`, { at: 'key' });
      }
    }
  }
  if (profile === undefined) return { data };
  const chosen = profiles[profile];
  if (chosen === undefined) {
    const names = Object.keys(profiles);
    problems.add(
      names.length > 0 ? ['profiles'] : [],
      names.length > 0
        ? `no profile "${profile}" in this recipe${didYouMean(profile, names)}; it declares: ${listOf(names)}`
        : `no profile "${profile}": this recipe declares no profiles (add profiles: { ${profile}: { steps: { <step id>: { model: …, input: { … } } } } })`,
      { at: 'key' },
    );
    return { data };
  }
  const overrides = isRecord(chosen.steps) ? (chosen.steps as Overrides) : {};
  const changed = new Map<number, { id: string; override: Record<string, unknown> }>();
  const applied = steps.map((step, index) => {
    if (!isRecord(step) || typeof step.id !== 'string' || step.model === undefined) return step;
    const override = overrides[step.id];
    if (!isRecord(override)) return step;
    changed.set(index, { id: step.id, override });
    return overrideStep(step, override);
  });
  return {
    data: { ...data, steps: applied },
    redirect: (segments) => {
      const [head, index, field, key] = segments;
      if (head !== 'steps' || typeof index !== 'number' || typeof field !== 'string') return undefined;
      const entry = changed.get(index);
      if (entry === undefined || !(field in entry.override)) return undefined;
      const base: PathSegment[] = ['profiles', profile, 'steps', entry.id, field];
      if (field !== 'input') return [...base, ...segments.slice(3)];
      const input = entry.override.input;
      if (key === undefined || !isRecord(input) || !(String(key) in input)) return undefined;
      return [...base, ...segments.slice(3)];
    },
  };
}

function overrideStep(
  step: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const next: Record<string, unknown> = { ...step };
  if (typeof override.model === 'string' && override.model !== step.model) {
    next.model = override.model;
    delete next.price; // the final model's price is not the swapped one's
  }
  if (override.price !== undefined) next.price = override.price;
  if (isRecord(override.input)) {
    const input: Record<string, unknown> = isRecord(step.input) ? { ...step.input } : {};
    for (const [key, value] of Object.entries(override.input)) {
      if (value === null) delete input[key];
      else input[key] = value;
    }
    next.input = input;
  }
  return next;
}
