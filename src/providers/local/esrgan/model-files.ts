/**
 * Where the offline super-resolution model comes from: the ESRGAN-slim ×2 weights shipped inside the
 * `@upscalerjs/esrgan-slim` package (MIT) and the wasm binaries inside `@tensorflow/tfjs-backend-wasm`,
 * both read from the installed package folders — nothing is downloaded. Also the IO handler that hands
 * model.json and its weight shards to TensorFlow.js from the file system, and the weights' hash that
 * task keys carry.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import type * as Tf from '@tensorflow/tfjs-core';

export type { ModelFiles } from '../upscaler-types.js';

export const WEIGHTS_PACKAGE = '@upscalerjs/esrgan-slim';
export const CORE_PACKAGE = '@tensorflow/tfjs-core';
export const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';

interface WeightsManifestGroup {
  paths: string[];
  weights: Tf.io.WeightsManifestEntry[];
}

interface ModelJson {
  format?: string;
  modelTopology?: unknown;
  weightsManifest?: WeightsManifestGroup[];
}

const require = createRequire(import.meta.url);

/** The root folder of an installed package (some, like esrgan-slim, do not export their package.json). */
function packageRoot(name: string): string {
  const entry = require.resolve(name);
  const marker = `${sep}node_modules${sep}${name.split('/').join(sep)}${sep}`;
  const at = entry.lastIndexOf(marker);
  if (at < 0) return dirname(entry);
  return entry.slice(0, at + marker.length - 1);
}

/** The installed packages' folders, or the names of those that are missing. */
export function locateModelPackages(): { modelDir: string; wasmDir: string } | { missing: string[] } {
  const missing: string[] = [];
  const roots = new Map<string, string>();
  for (const name of [WEIGHTS_PACKAGE, CORE_PACKAGE, WASM_PACKAGE]) {
    try {
      roots.set(name, packageRoot(name));
    } catch {
      missing.push(name);
    }
  }
  if (missing.length > 0) return { missing };
  return {
    modelDir: join(roots.get(WEIGHTS_PACKAGE) as string, 'models', 'x2'),
    wasmDir: join(roots.get(WASM_PACKAGE) as string, 'dist') + sep,
  };
}

async function readModelJson(modelDir: string): Promise<{ text: Buffer; json: ModelJson }> {
  const text = await readFile(join(modelDir, 'model.json'));
  const json = JSON.parse(text.toString('utf8')) as ModelJson;
  if (json.format !== 'layers-model' || !Array.isArray(json.weightsManifest)) {
    throw new Error(`${join(modelDir, 'model.json')} is not a TensorFlow.js layers model`);
  }
  return { text, json };
}

function shardPaths(modelDir: string, json: ModelJson): string[] {
  return (json.weightsManifest ?? []).flatMap((group) => group.paths.map((path) => join(modelDir, path)));
}

/** sha256 over model.json then every shard, each prefixed by its length (no two splits hash alike). */
export async function hashModelFiles(modelDir: string): Promise<string> {
  const { text, json } = await readModelJson(modelDir);
  const hash = createHash('sha256');
  for (const data of [
    text,
    ...(await Promise.all(shardPaths(modelDir, json).map((path) => readFile(path)))),
  ]) {
    hash.update(`${data.length}:`);
    hash.update(data);
  }
  return hash.digest('hex');
}

/** A tf.io handler that loads model.json and its weight shards from a folder (load only). */
export function fileSystemHandler(
  modelDir: string,
): Tf.io.IOHandler & { load(): Promise<Tf.io.ModelArtifacts> } {
  return {
    async load(): Promise<Tf.io.ModelArtifacts> {
      const { json } = await readModelJson(modelDir);
      const shards = await Promise.all(shardPaths(modelDir, json).map((path) => readFile(path)));
      const weights = Buffer.concat(shards);
      return {
        modelTopology: json.modelTopology as Tf.io.ModelArtifacts['modelTopology'],
        weightSpecs: (json.weightsManifest ?? []).flatMap((group) => group.weights),
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
        format: json.format,
      };
    },
  };
}
