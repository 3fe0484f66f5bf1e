/**
 * The HTTP exchanges recorded against the real Replicate API (`replicate-recorded/python-cassettes.json`
 * in the shared folder beside the repository, with the real SDXL output `sdxl-out-0.png`), read at test
 * time. The shared folder is looked for beside the repository and beside each folder above it (a git
 * worktree lives one level deeper than the main checkout); a missing folder fails loudly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as recorded (JSON text for every API reply). */
  body: string;
}

export interface RecordedRequest {
  method: string;
  uri: string;
  prefer: string | null;
  body: string;
}

export interface RecordedExchange {
  cassette: string;
  index: number;
  request: RecordedRequest;
  response: RecordedResponse;
}

export interface Recordings {
  /** The folder the recordings were read from. */
  dir: string;
  /** Every exchange by name; a multi-step cassette (`run_lifecycle`) gives one entry per step. */
  exchanges: Record<string, RecordedExchange[]>;
  /** The one exchange of a single-step name (throws for an unknown name). */
  one(name: string): RecordedExchange;
  /** Its response body, parsed. */
  json(name: string): Record<string, unknown>;
  /** The real SDXL output the blocking create carries inline. */
  sdxlPng(): Buffer;
}

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `…/shared/replicate-recorded` beside the repository (or beside a folder above it). */
export function recordingsDir(start = REPO_ROOT): string {
  const tried: string[] = [];
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dirname(dir), 'shared', 'replicate-recorded');
    tried.push(candidate);
    if (existsSync(join(candidate, 'python-cassettes.json'))) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(
    `the recorded Replicate exchanges were not found (looked in ${tried.join(', ')}); ` +
      'they belong in ../shared/replicate-recorded beside the repository',
  );
}

interface CassetteFile {
  exchanges: Record<
    string,
    { cassette: string; steps?: Omit<RecordedExchange, 'cassette'>[] } & Partial<RecordedExchange>
  >;
}

export function loadRecordings(dir = recordingsDir()): Recordings {
  const file = JSON.parse(readFileSync(join(dir, 'python-cassettes.json'), 'utf8')) as CassetteFile;
  const exchanges: Record<string, RecordedExchange[]> = {};
  for (const [name, entry] of Object.entries(file.exchanges)) {
    exchanges[name] =
      entry.steps === undefined
        ? [entry as RecordedExchange]
        : entry.steps.map((step) => ({ ...step, cassette: entry.cassette }));
  }
  const one = (name: string): RecordedExchange => {
    const found = exchanges[name];
    if (found?.length !== 1) throw new Error(`no single recorded exchange named ${name}`);
    return found[0] as RecordedExchange;
  };
  return {
    dir,
    exchanges,
    one,
    json: (name) => JSON.parse(one(name).response.body) as Record<string, unknown>,
    sdxlPng: () => readFileSync(join(dir, 'sdxl-out-0.png')),
  };
}
