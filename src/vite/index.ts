/**
 * `assetgen/vite`: a Vite plugin that turns `import hero from 'assetgen:heroes/launch'` into an
 * AssetgenImage — `{ src, srcset, width, height, placeholder, alt, … }` — read from the output folder's
 * manifest. In a build the files are emitted into the bundle (Rollup `emitFile`, hashed names, checked
 * against the manifest's sha256); in dev they are served from the output folder under `/@assetgen/`.
 * Optionally runs recipes at build start through the library (`runRecipes`, offline by default). Built on
 * the library and the manifest only; `vite` is only a type here (an optional peer dependency).
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Plugin, ResolvedConfig } from 'vite';
import { readManifest } from '../manifest/read.js';
import type { Manifest, ManifestOutput } from '../manifest/types.js';
import { sha256 } from '../store/hash.js';
import { type AssetSelection, selectAsset } from './asset-lookup.js';
import { serveOutputs } from './dev-server.js';
import { moduleCode } from './module-code.js';
import { runAtStart } from './run-at-start.js';
import type { AssetgenViteOptions } from './types.js';

export type {
  AssetgenImage,
  AssetgenImageSource,
  AssetgenViteOptions,
  AssetgenViteRun,
} from './types.js';

const PREFIX = 'assetgen:';
const RESOLVED = '\0assetgen:';
/** Where the dev server serves the output folder's files (after `base`). */
export const DEV_PREFIX = '/@assetgen/';

export function assetgen(options: AssetgenViteOptions = {}): Plugin {
  let config: ResolvedConfig | undefined;
  let manifest: Promise<Manifest> | undefined;
  const paths = () => {
    const root = config?.root ?? process.cwd();
    const file = resolve(root, options.manifest ?? resolve(root, options.out ?? 'output', 'manifest.json'));
    return { root, file, folder: dirname(file) };
  };
  const load = (): Promise<Manifest> => {
    manifest ??= readManifest(paths().file);
    return manifest;
  };
  const select = async (id: string): Promise<AssetSelection> => selectAsset(await load(), id, paths().file);
  // One emitted file per output path and build, however many modules import it.
  let emitted = new Map<string, string>();

  return {
    name: 'assetgen',
    enforce: 'pre',
    configResolved(resolved) {
      config = resolved;
    },
    async buildStart() {
      manifest = undefined;
      emitted = new Map();
      if (options.run !== undefined) {
        const { root, folder } = paths();
        try {
          await runAtStart(options.run, root, folder);
        } catch (error) {
          this.error(`assetgen: ${(error as Error).message}`);
        }
      }
    },
    configureServer(server) {
      const watched = paths().file;
      server.watcher.add(watched);
      server.watcher.on('change', (changed) => {
        if (resolve(changed) !== watched) return;
        manifest = undefined;
        for (const module of server.moduleGraph.idToModuleMap.values())
          if (module.id?.startsWith(RESOLVED)) server.moduleGraph.invalidateModule(module);
        server.ws.send({ type: 'full-reload' });
      });
      serveOutputs(server, {
        base: () => config?.base ?? '/',
        prefix: DEV_PREFIX,
        folder: () => paths().folder,
        manifest: load,
      });
    },
    resolveId(source) {
      return source.startsWith(PREFIX) ? `${RESOLVED}${source.slice(PREFIX.length)}` : undefined;
    },
    async load(id) {
      if (!id.startsWith(RESOLVED)) return undefined;
      let selection: AssetSelection;
      try {
        selection = await select(id.slice(RESOLVED.length));
      } catch (error) {
        return this.error(`assetgen: ${(error as Error).message}`);
      }
      const { folder } = paths();
      if (config?.command !== 'build') {
        const base = config?.base ?? '/';
        return moduleCode(selection, (file) =>
          JSON.stringify(`${base}${DEV_PREFIX.slice(1)}${urlPath(file)}`),
        );
      }
      if (selection.asset.placeholder && options.offline !== 'ignore') {
        const message = `assetgen:${selection.id} is an offline placeholder (made by the local provider, not the real model)`;
        if (options.offline === 'error') return this.error(`${message}; run assetgen with a Replicate token`);
        this.warn(message);
      }
      const files = [...new Set(selection.sources.flatMap((entry) => entry.files))];
      const refs = new Map<ManifestOutput, string>();
      for (const file of files) {
        let ref = emitted.get(file.path);
        if (ref === undefined) {
          const source = await readOutput(folder, file).catch((error: Error) =>
            this.error(`assetgen: ${error.message}`),
          );
          ref = this.emitFile({ type: 'asset', name: basename(file.path), source });
          emitted.set(file.path, ref);
        }
        refs.set(file, ref);
      }
      return moduleCode(selection, (file) => `import.meta.ROLLUP_FILE_URL_${refs.get(file)}`);
    },
  };
}

export default assetgen;

function urlPath(file: ManifestOutput): string {
  return file.path.split('/').map(encodeURIComponent).join('/');
}

/** The file's bytes, refused when they are not the ones the manifest lists. */
async function readOutput(folder: string, file: ManifestOutput): Promise<Buffer> {
  const path = resolve(folder, file.path);
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error) {
    throw new Error(
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}), listed in the manifest; run assetgen again`,
    );
  }
  if (data.length !== file.bytes || sha256(data) !== file.sha256)
    throw new Error(`${path} is not the file the manifest lists (changed since the run); run assetgen again`);
  return data;
}
