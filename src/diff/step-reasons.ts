/**
 * Why one asset differs between two manifests: its status, its steps' records (provider, model, version,
 * seed, inputs, operations) and its output files. Only first causes are named: an upscale whose input
 * image changed because the draft's prompt changed is not a reason of its own.
 */
import type {
  ManifestAsset,
  ManifestFileInput,
  ManifestImageStep,
  ManifestModelStep,
  ManifestStep,
} from '../manifest/types.js';
import { canonicalJson } from '../store/hash.js';
import { outputReasons } from './output-reasons.js';
import type { ChangeReason, OutputDiff } from './types.js';

const PROMPT_KEY = /prompt/i;
const SHORT = 60;
const ELIDED_WORDS = 3;

export function shorten(text: string, length = SHORT): string {
  const single = text.replace(/\s+/g, ' ').trim();
  return single.length > length ? `${single.slice(0, length - 1)}…` : single;
}

export function showValue(value: unknown): string {
  if (value === undefined) return '(none)';
  if (typeof value === 'string') return `"${shorten(value)}"`;
  return shorten(canonicalJson(value));
}

/**
 * Two texts with the words they share at both ends left out: `"…glazed ceramic…" → "…red enamel…"`,
 * so that a long prompt's change shows in one short line.
 */
export function changedWords(before: unknown, after: unknown): string {
  if (typeof before !== 'string' || typeof after !== 'string')
    return `${showValue(before)} → ${showValue(after)}`;
  const a = before.trim().split(/\s+/);
  const b = after.trim().split(/\s+/);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start += 1;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end])
    end += 1;
  // Shared words are left out where there are a few of them, keeping one as context on each side.
  const cutStart = start >= ELIDED_WORDS ? start - 1 : 0;
  const cutEnd = end >= ELIDED_WORDS ? end - 1 : 0;
  const part = (words: string[]) => {
    const middle = shorten(words.slice(cutStart, words.length - cutEnd).join(' '), SHORT);
    const tail = cutEnd > 0 && !middle.endsWith('…') ? '…' : '';
    return `"${cutStart > 0 ? '…' : ''}${middle}${tail}"`;
  };
  return `${part(a)} → ${part(b)}`;
}

const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

function isFileInput(value: unknown): value is ManifestFileInput {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ManifestFileInput).step === 'string' &&
    typeof (value as ManifestFileInput).sha256 === 'string'
  );
}

/** Reasons that come from a model step's request; `changedSteps` are the steps already known to differ. */
function modelReasons(
  before: ManifestModelStep,
  after: ManifestModelStep,
  changedSteps: ReadonlySet<string>,
): ChangeReason[] {
  const step = after.id;
  const reasons: ChangeReason[] = [];
  if (before.model !== after.model) {
    reasons.push({ kind: 'model', step, detail: `${before.model} → ${after.model}` });
  } else if (before.version !== after.version) {
    const show = (version: string | null) => (version === null ? 'unpinned' : version.slice(0, 12));
    reasons.push({ kind: 'model-version', step, detail: `${show(before.version)} → ${show(after.version)}` });
  }
  if (before.seed !== after.seed) {
    reasons.push({ kind: 'seed', step, detail: `${before.seed ?? 'none'} → ${after.seed ?? 'none'}` });
  }
  const others: string[] = [];
  const keys = [...new Set([...Object.keys(before.input), ...Object.keys(after.input)])].filter(
    (key) => key !== 'seed',
  );
  for (const key of keys) {
    const was = before.input[key];
    const now = after.input[key];
    if (same(was, now)) continue;
    if (isFileInput(was) && isFileInput(now) && was.step === now.step) {
      if (changedSteps.has(now.step)) continue; // follows from that step's own change
      reasons.push({
        kind: 'upstream-result',
        step: now.step,
        detail: `${now.step} returned a different picture for the same request`,
      });
    } else if (PROMPT_KEY.test(key) && (typeof was === 'string' || typeof now === 'string')) {
      reasons.push({
        kind: 'prompt',
        step,
        detail: `${key}: ${changedWords(was, now)}`,
        ...(typeof was === 'string' ? { before: was } : {}),
        ...(typeof now === 'string' ? { after: now } : {}),
      });
    } else {
      const describe = (value: unknown) =>
        isFileInput(value) ? `the image of ${value.step}` : showValue(value);
      others.push(`${key} ${describe(was)} → ${describe(now)}`);
    }
  }
  if (others.length > 0) reasons.push({ kind: 'model-input', step, detail: others.join(', ') });
  return reasons;
}

function operationName(operation: unknown): string {
  return typeof operation === 'object' && operation !== null ? (Object.keys(operation)[0] ?? '?') : '?';
}

function imageReasons(before: ManifestImageStep, after: ManifestImageStep): ChangeReason[] {
  if (same(before.operations, after.operations)) return [];
  const names = (step: ManifestImageStep) => step.operations.map(operationName);
  const step = after.id;
  if (!same(names(before), names(after))) {
    const list = (step: ManifestImageStep) => names(step).join(', ') || '(none)';
    return [{ kind: 'post-processing', step, detail: `${list(before)} → ${list(after)}` }];
  }
  const changes = after.operations.flatMap((operation, index) => {
    const was = before.operations[index];
    if (same(was, operation)) return [];
    const name = operationName(operation);
    const inner = (value: unknown) => (value as Record<string, unknown>)[name];
    return [`${name} ${showValue(inner(was))} → ${showValue(inner(operation))}`];
  });
  return [{ kind: 'post-processing', step, detail: changes.join(', ') }];
}

function stepReasons(
  before: ManifestStep,
  after: ManifestStep,
  changedSteps: ReadonlySet<string>,
): ChangeReason[] {
  const step = after.id;
  if (before.kind !== after.kind) {
    return [{ kind: 'steps', step, detail: `a ${before.kind} step became a ${after.kind} step` }];
  }
  const reasons: ChangeReason[] = [];
  if (before.provider !== after.provider) {
    reasons.push({ kind: 'provider', step, detail: `${before.provider} → ${after.provider}` });
  }
  if (before.kind === 'model' && after.kind === 'model') {
    reasons.push(...modelReasons(before, after, changedSteps));
    if (reasons.length === 0 && before.text !== undefined && before.text !== after.text) {
      reasons.push({
        kind: 'upstream-result',
        step,
        detail: `${step} returned a different text for the same request`,
        before: before.text,
        ...(after.text === undefined ? {} : { after: after.text }),
      });
    }
  } else if (before.kind === 'image' && after.kind === 'image') {
    reasons.push(...imageReasons(before, after));
  }
  return reasons;
}

function chainReasons(before: ManifestAsset, after: ManifestAsset): ChangeReason[] {
  const reasons: ChangeReason[] = [];
  const beforeIds = before.steps.map((step) => step.id);
  const afterIds = after.steps.map((step) => step.id);
  for (const id of afterIds.filter((id) => !beforeIds.includes(id))) {
    reasons.push({ kind: 'steps', step: id, detail: `step ${id} added` });
  }
  for (const id of beforeIds.filter((id) => !afterIds.includes(id))) {
    reasons.push({ kind: 'steps', step: id, detail: `step ${id} removed` });
  }
  const common = afterIds.filter((id) => beforeIds.includes(id));
  if (
    !same(
      common,
      beforeIds.filter((id) => afterIds.includes(id)),
    )
  ) {
    reasons.push({
      kind: 'steps',
      detail: `steps reordered: ${beforeIds.join(', ')} → ${afterIds.join(', ')}`,
    });
  }
  // A step differs when its own record does, or when it follows a step that differs (its input image
  // or its chain position changed): those are consequences, not reasons of their own.
  const changedSteps = new Set<string>(reasons.flatMap((reason) => (reason.step ? [reason.step] : [])));
  let upstreamChanged = false;
  for (const step of after.steps) {
    const was = before.steps.find((candidate) => candidate.id === step.id);
    if (was === undefined) {
      upstreamChanged = true;
      continue;
    }
    const own = stepReasons(was, step, changedSteps);
    reasons.push(...own);
    if (own.length > 0 || upstreamChanged) changedSteps.add(step.id);
    if (own.length > 0) upstreamChanged = true;
  }
  return reasons;
}

function statusReasons(before: ManifestAsset, after: ManifestAsset): ChangeReason[] {
  const describe = (asset: ManifestAsset) =>
    asset.error === undefined ? asset.status : `${asset.status} (${shorten(asset.error, 120)})`;
  if (before.status === after.status && before.error === after.error) return [];
  return [{ kind: 'status', detail: `${describe(before)} → ${describe(after)}` }];
}

/** Every reason, in the order status, steps (chain order), outputs; `pixels` when nothing else explains a file change. */
export function reasonsBetween(
  before: ManifestAsset,
  after: ManifestAsset,
  outputs: OutputDiff[],
): ChangeReason[] {
  const reasons = [
    ...statusReasons(before, after),
    ...chainReasons(before, after),
    ...outputReasons(outputs),
  ];
  if (reasons.length === 0 && outputs.some((output) => output.change === 'changed')) {
    reasons.push({
      kind: 'pixels',
      detail:
        'the files differ although every recorded step is the same (a model returned another result, or an overlay file or the encoder changed)',
    });
  }
  return reasons;
}
