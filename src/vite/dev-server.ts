/**
 * In dev, the output folder's files under `<base>@assetgen/<path>`: only files the manifest lists are
 * served (nothing else in the folder, no `..`: anything else under the prefix is a 404), with their
 * content type, uncached.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ViteDevServer } from 'vite';
import type { Manifest } from '../manifest/types.js';

export interface ServeOutputsOptions {
  base: () => string;
  prefix: string;
  folder: () => string;
  manifest: () => Promise<Manifest>;
}

export function serveOutputs(server: ViteDevServer, options: ServeOutputsOptions): void {
  server.middlewares.use((request, response, next) => {
    const url = (request.url ?? '').split('?')[0] ?? '';
    const base = options.base().replace(/\/$/, '');
    const local = base !== '' && url.startsWith(`${base}/`) ? url.slice(base.length) : url;
    if (!local.startsWith(options.prefix)) return next();
    let path: string;
    try {
      path = local.slice(options.prefix.length).split('/').map(decodeURIComponent).join('/');
    } catch {
      response.statusCode = 400;
      response.end('malformed path');
      return;
    }
    options
      .manifest()
      .then(async (manifest) => {
        const file = Object.values(manifest.recipes)
          .flatMap((recipe) => recipe.assets.flatMap((asset) => asset.outputs))
          .find((output) => output.path === path);
        if (file === undefined) {
          response.statusCode = 404;
          response.end(`not in the assetgen manifest: ${path}`);
          return;
        }
        const data = await readFile(resolve(options.folder(), file.path));
        response.setHeader('Content-Type', `image/${file.format}`);
        response.setHeader('Cache-Control', 'no-cache');
        response.end(data);
      })
      .catch((error: unknown) => next(error));
  });
}
