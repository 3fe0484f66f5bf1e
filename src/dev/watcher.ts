/**
 * Watches files by their folders (`fs.watch` on each folder, not on the files: editors that save by
 * writing a new file and renaming it over the old one would end a watch on the file). Changes come out
 * debounced: one call with every changed path once nothing has changed for `debounceMs`.
 */
import { type FSWatcher, watch } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface FileWatcherOptions {
  debounceMs: number;
  onChange(files: string[]): void;
  /**
   * Also report changes to other names in the watched folders (e.g. while a recipe names a file that
   * does not exist yet); `ignore` keeps out paths that the session writes itself.
   */
  anyName?: () => boolean;
  ignore?: (path: string) => boolean;
}

export interface FileWatcher {
  /** Replaces the set of watched files (absolute paths). */
  watch(files: Iterable<string>): void;
  /** The files watched now. */
  files(): string[];
  close(): void;
}

export function createFileWatcher(options: FileWatcherOptions): FileWatcher {
  let wanted = new Set<string>();
  const folders = new Map<string, FSWatcher>();
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const flush = () => {
    timer = undefined;
    if (closed || changed.size === 0) return;
    const files = [...changed];
    changed.clear();
    options.onChange(files);
  };

  const onEvent = (folder: string, name: string | Buffer | null) => {
    if (closed) return;
    const path = name === null ? folder : join(folder, name.toString());
    const interesting = wanted.has(path) || (options.anyName?.() === true && options.ignore?.(path) !== true);
    if (!interesting) return;
    changed.add(path);
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(flush, options.debounceMs);
  };

  const open = (folder: string) => {
    try {
      const watcher = watch(folder, { persistent: false }, (_event, name) => onEvent(folder, name));
      watcher.on('error', () => {
        watcher.close();
        folders.delete(folder);
      });
      folders.set(folder, watcher);
    } catch {
      // A folder that does not exist (yet) is not watched; the next `watch` call tries again.
    }
  };

  return {
    watch(files) {
      wanted = new Set([...files].map((file) => resolve(file)));
      const needed = new Set([...wanted].map((file) => dirname(file)));
      for (const [folder, watcher] of folders)
        if (!needed.has(folder)) {
          watcher.close();
          folders.delete(folder);
        }
      for (const folder of needed) if (!folders.has(folder)) open(folder);
    },
    files: () => [...wanted],
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const watcher of folders.values()) watcher.close();
      folders.clear();
    },
  };
}
