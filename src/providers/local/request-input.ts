/** Reading a prediction request's input for the local stand-ins, and writing what they produce. */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CancelledError, expected, ProviderError } from '../../errors.js';
import type { ImageInput } from '../../image/index.js';
import { isInputFile, type PredictionRequest, type ProducedFile } from '../types.js';

export const PROVIDER_NAME = 'local';

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError(`cancelled: ${describeReason(signal.reason)}`);
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? 'aborted' : String(reason);
}

/** A ProviderError from the local provider about this request's model. */
export function localError(
  code: string,
  message: string,
  request: PredictionRequest,
  options?: { cause?: unknown },
): ProviderError {
  return new ProviderError(
    code,
    message,
    { provider: PROVIDER_NAME, model: request.model, retryable: false },
    options,
  );
}

/**
 * The image a model takes: an `InputFile` (an upstream step's output), a `data:` URI, a `file:` URL or a
 * local path (a relative one against `cwd`, the run's folder — never the process's). Remote URLs cannot be
 * fetched offline.
 */
export function readImageInput(request: PredictionRequest, field: string, cwd: string): ImageInput {
  const value = request.input[field];
  if (isInputFile(value)) return value.path;
  if (typeof value === 'string' && value !== '') {
    if (value.startsWith('data:')) return decodeDataUri(value, request, field);
    if (value.startsWith('file:')) return fileURLToPath(value);
    if (/^https?:\/\//i.test(value)) {
      throw localError(
        'LOCAL_INPUT',
        `${request.model}: input.${field} is a URL (${value.slice(0, 80)}); the offline stand-in cannot fetch it — ` +
          'give a local file or the output of an earlier step',
        request,
      );
    }
    return isAbsolute(value) ? value : resolve(cwd, value);
  }
  throw localError(
    'LOCAL_INPUT',
    `${request.model}: ${expected('an image', `input.${field}`, value)}`,
    request,
  );
}

function decodeDataUri(uri: string, request: PredictionRequest, field: string): Buffer {
  const comma = uri.indexOf(',');
  if (comma < 0) {
    throw localError('LOCAL_INPUT', `${request.model}: input.${field} is a malformed data URI`, request);
  }
  const header = uri.slice(5, comma);
  const payload = uri.slice(comma + 1);
  return header.endsWith(';base64')
    ? Buffer.from(payload, 'base64')
    : Buffer.from(decodeURIComponent(payload));
}

/** The input value, or the model schema's default when the input lacks it (the runner normally fills these). */
export function inputValue(request: PredictionRequest, field: string): unknown {
  const value = request.input[field];
  if (value !== undefined) return value;
  const properties = request.catalog?.inputSchema.properties as
    | Record<string, { default?: unknown }>
    | undefined;
  return properties?.[field]?.default;
}

export interface NumberRule {
  default: number;
  min?: number;
  max?: number;
  /** Lower bound that the value must be strictly above. */
  above?: number;
  integer?: boolean;
}

/** A numeric input with its default, checked against the model's range. */
export function numberInput(request: PredictionRequest, field: string, rule: NumberRule): number {
  const value = inputValue(request, field) ?? rule.default;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.max === undefined || value <= rule.max) &&
    (rule.above === undefined || value > rule.above);
  if (!ok) {
    const kind = rule.integer ? 'an integer' : 'a number';
    const bounds = [
      rule.above !== undefined ? `above ${rule.above}` : undefined,
      rule.min !== undefined ? `>= ${rule.min}` : undefined,
      rule.max !== undefined ? `<= ${rule.max}` : undefined,
    ].filter(Boolean);
    const what = bounds.length > 0 ? `${kind} ${bounds.join(' and ')}` : kind;
    throw localError('LOCAL_INPUT', `${request.model}: ${expected(what, `input.${field}`, value)}`, request);
  }
  return value;
}

export function stringInput(request: PredictionRequest, field: string, fallback: string): string {
  const value = inputValue(request, field) ?? fallback;
  if (typeof value !== 'string') {
    throw localError(
      'LOCAL_INPUT',
      `${request.model}: ${expected('a string', `input.${field}`, value)}`,
      request,
    );
  }
  return value;
}

/** Writes one produced file into the task's work folder and describes it. */
export async function writeProduced(
  workDir: string,
  name: string,
  data: Buffer,
  contentType: string,
): Promise<ProducedFile> {
  const path = join(workDir, name);
  await writeFile(path, data);
  return { path, sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length, contentType };
}
