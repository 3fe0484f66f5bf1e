/**
 * The prediction object as this provider reads it (reference §3 and the recorded replies of §14), and
 * small helpers over it: terminal states, the version that ran, numeric metrics, and the output split
 * into file URLs or text. Nothing here trusts `model`: official models answer under other names.
 */
import { isVersionId } from '../../models/catalog.js';

export type PredictionStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted';

export interface Prediction {
  id: string;
  status: PredictionStatus;
  /** As reported; for official models often not the name it was created under (reference §14). */
  model?: string;
  /** A 64-hex version id, or for official models `hidden` or a deployment id (`dp-…`, `d-…`). */
  version?: string;
  input?: Record<string, unknown>;
  output?: unknown;
  error?: unknown;
  logs?: string | null;
  source?: 'api' | 'web';
  /** True once Replicate purged input, output and logs (about an hour after the end). */
  data_removed?: boolean;
  created_at?: string;
  /** Set once `predict()` began (status → processing); absent for predictions that never started. */
  started_at?: string;
  completed_at?: string;
  /** The absolute auto-cancel time, when the create sent `Cancel-After`. */
  deadline?: string;
  metrics?: Record<string, unknown>;
  urls?: { get?: string; cancel?: string; stream?: string; web?: string };
}

export const TERMINAL: ReadonlySet<string> = new Set(['succeeded', 'failed', 'canceled', 'aborted']);

export function isTerminal(prediction: Pick<Prediction, 'status'>): boolean {
  return TERMINAL.has(prediction.status);
}

/** Checks the minimum shape the provider relies on. */
export function asPrediction(value: unknown): Prediction {
  const p = value as Partial<Prediction> | null;
  if (typeof p !== 'object' || p === null || typeof p.id !== 'string' || typeof p.status !== 'string') {
    throw new TypeError('the API answered with something that is not a prediction');
  }
  return p as Prediction;
}

/** The version id the prediction ran, or undefined when it reports none (`hidden`, `dp-…`: no pin). */
export function versionRan(prediction: Pick<Prediction, 'version'>): string | undefined {
  return isVersionId(prediction.version) ? prediction.version : undefined;
}

/** The numeric entries of `metrics` (predict_time, image_count, token counts …). */
export function numericMetrics(prediction: Prediction): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(prediction.metrics ?? {})) {
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  }
  return out;
}

const FILE_URL = /^(https?:|data:)/i;

/** Output as file URLs (array outputs → several files, a single string → one) or as text tokens. */
export function splitOutput(output: unknown, textModel: boolean): { urls: string[]; text?: string } {
  if (textModel) {
    if (Array.isArray(output))
      return { urls: [], text: output.map((t) => (typeof t === 'string' ? t : '')).join('') };
    return { urls: [], text: typeof output === 'string' ? output : '' };
  }
  // An object of files (`{ image: uri, mask: uri }`, or lists of them) gives its files in member order.
  const leaves: unknown[] = Array.isArray(output)
    ? output
    : typeof output === 'object' && output !== null
      ? Object.values(output).flat()
      : [output];
  const urls = leaves.filter((v): v is string => typeof v === 'string' && FILE_URL.test(v));
  if (urls.length === 0 && leaves.every((v) => typeof v === 'string')) {
    return { urls: [], text: (leaves as string[]).join('') };
  }
  return { urls };
}
