/**
 * Task keys: a hash of everything that changes a task's result, and nothing else. Upstream images
 * count by their content hash (never by path or URL); YAML key order and output file names never matter.
 */

import { isInputFile } from '../providers/types.js';
import { hashKey } from '../store/hash.js';

/** Replaces file inputs (also inside lists) by their content hash. */
export function inputForKey(input: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const byContent = (value: unknown): unknown => (isInputFile(value) ? { sha256: value.sha256 } : value);
  return Object.fromEntries(
    Object.entries(input).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.map(byContent) : byContent(value),
    ]),
  );
}

export function modelTaskKey(parts: {
  provider: string;
  model: string;
  version: string | undefined;
  /** The deployment it runs through (with `version` its release's): absent, the key is as before. */
  deployment?: string | undefined;
  input: Readonly<Record<string, unknown>>;
  /** The provider's own parts (Provider.taskKeyParts); absent, the key is as before. */
  providerParts?: Readonly<Record<string, unknown>> | undefined;
  /** A retry after a failed quality gate (1 = the second try); the first try's key is as it always was. */
  attempt?: number | undefined;
}): string {
  return hashKey({
    v: 1,
    kind: 'model',
    provider: parts.provider,
    model: parts.model,
    version: parts.version ?? null,
    ...(parts.deployment === undefined ? {} : { deployment: parts.deployment }),
    input: inputForKey(parts.input),
    ...(parts.providerParts === undefined ? {} : { providerParts: parts.providerParts }),
    ...(parts.attempt ? { attempt: parts.attempt } : {}),
  });
}

export function imageTaskKey(parts: {
  sourceSha256: string;
  operations: readonly unknown[];
  overlays: Readonly<Record<string, string>>;
  imageLibrary: string;
}): string {
  return hashKey({ v: 1, kind: 'image', ...parts });
}

export function outputKey(parts: {
  sourceSha256: string;
  operations: readonly unknown[];
  overlays: Readonly<Record<string, string>>;
  format: unknown;
  width: number | undefined;
  imageLibrary: string;
  /** The embedded provenance packet's hash; absent (the key as before) when nothing is embedded. */
  xmpSha256?: string;
}): string {
  return hashKey({ v: 1, kind: 'output', ...parts, width: parts.width ?? null });
}

/**
 * A C2PA-signed output: the unsigned encode's bytes, the manifest definition, the certificate chain and
 * the library. Signing is not repeatable byte for byte (the library draws an instance id), so the signed
 * file is cached under this key: a re-run with the same inputs gets the same bytes.
 */
export function signedOutputKey(parts: {
  unsignedSha256: string;
  definitionSha256: string;
  chainSha256: string;
  library: string;
}): string {
  return hashKey({ v: 1, kind: 'c2pa-output', ...parts });
}
