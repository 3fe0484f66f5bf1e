/**
 * Who makes a prediction's outputs. Images come from the project's local provider
 * (`src/providers/local/index.ts`, loaded lazily when present) or, until it exists, from the placeholder
 * renderer in placeholder.ts. Language models get a deterministic text made here.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Provider } from '../../src/providers/types.js';
import { renderPlaceholder } from './placeholder.js';
import type { MadeOutputs, MakeOutputs, MakeOutputsRequest } from './types.js';

const LOCAL_PROVIDER_DIR = new URL('../../src/providers/local/', import.meta.url);

interface LocalProviderModule {
  createLocalProvider(): Provider;
}

/** Deterministic text for a language model, echoing the prompt. */
export function makeText(input: Record<string, unknown>): string {
  const prompt = typeof input.prompt === 'string' ? input.prompt.trim() : '';
  const subject = prompt === '' ? 'nothing in particular' : prompt.slice(0, 200);
  return `This is the fake Replicate answering about: ${subject}. It has no opinions, only tokens.`;
}

/** Splits text into tokens the way an LLM stream looks: words with their leading space. */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

export interface OutputMaker {
  make: MakeOutputs;
  /** Which maker produced images: `local-provider` or `placeholder` (after the first image call). */
  readonly source: 'local-provider' | 'placeholder' | 'none';
  close(): Promise<void>;
}

/** The default maker; a fresh one per server (nothing cached across servers). */
export function createDefaultOutputMaker(): OutputMaker {
  let provider: Promise<Provider | undefined> | undefined;
  let source: OutputMaker['source'] = 'none';
  const loadProvider = (): Promise<Provider | undefined> => {
    provider ??= (async () => {
      const dir = fileURLToPath(LOCAL_PROVIDER_DIR);
      if (!existsSync(`${dir}index.ts`) && !existsSync(`${dir}index.js`)) return undefined;
      const specifier = '../../src/providers/local/index.js';
      const mod = (await import(/* @vite-ignore */ specifier)) as Partial<LocalProviderModule>;
      if (typeof mod.createLocalProvider !== 'function') return undefined;
      return mod.createLocalProvider();
    })();
    return provider;
  };

  const viaProvider = async (local: Provider, request: MakeOutputsRequest): Promise<MadeOutputs> => {
    const result = await local.predict({
      model: request.model,
      version: request.catalog.version,
      catalog: request.catalog,
      input: request.input,
      workDir: request.workDir,
      taskKey: request.predictionId,
      label: { recipe: 'fake-replicate', asset: request.predictionId, step: request.model },
      signal: request.signal,
    });
    const files = await Promise.all(result.files.map((f) => readFile(f.path)));
    const contentType = result.files[0]?.contentType ?? 'application/octet-stream';
    return { files, contentType };
  };

  return {
    get source() {
      return source;
    },
    async make(request) {
      if (request.catalog.kind === 'text') return { text: makeText(request.input) };
      const local = await loadProvider();
      source = local === undefined ? 'placeholder' : 'local-provider';
      return local === undefined ? renderPlaceholder(request) : viaProvider(local, request);
    },
    async close() {
      const local = await provider?.catch(() => undefined);
      await local?.close?.();
    },
  };
}
