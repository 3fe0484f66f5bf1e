/**
 * Which files the dev server may send, and under which URLs. URLs are paths below the deepest folder
 * holding the page's, the output and the cache folders, so the review page's relative links work as they
 * are; but only the page's thumbnails, the cache's objects and the output files the manifest lists are
 * served — never a recipe, the manifest, or anything else in or above those folders.
 */
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

export const inside = (folder: string, path: string): boolean => {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** The deepest folder holding every one of `paths`. */
function commonFolder(paths: readonly string[]): string {
  const [first, ...rest] = paths.map((path) => resolve(path).split(sep));
  let common = first ?? [''];
  for (const parts of rest) {
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return common.join(sep) || sep;
}

export interface ServedFiles {
  /** The URL path of the page (`/.assetgen/dev/index.html`). */
  pagePath: string;
  /** The file a URL path names, when it may be served; undefined otherwise. */
  resolve(pathname: string): string | undefined;
  /** The output files the page shows now (absolute). */
  setOutputs(files: Iterable<string>): void;
}

export function createServedFiles(folders: {
  pageDir: string;
  outDir: string;
  cacheDir: string;
}): ServedFiles {
  const root = commonFolder([folders.pageDir, folders.outDir, folders.cacheDir]);
  const thumbs = join(folders.pageDir, 'thumbs');
  const objects = join(folders.cacheDir, 'objects');
  let outputs = new Set<string>();
  const urlPath = (file: string): string =>
    `/${relative(root, file).split(sep).map(encodeURIComponent).join('/')}`;
  return {
    pagePath: urlPath(join(folders.pageDir, 'index.html')),
    resolve(pathname) {
      let path: string;
      try {
        const parts = pathname
          .split('/')
          .filter(Boolean)
          .map((part) => decodeURIComponent(part));
        path = resolve(root, ...parts);
      } catch {
        return undefined; // malformed percent-encoding
      }
      if ((inside(thumbs, path) && path !== thumbs) || (inside(objects, path) && path !== objects))
        return path;
      return outputs.has(path) ? path : undefined;
    },
    setOutputs(files) {
      outputs = new Set(files);
    },
  };
}
