/**
 * The output folder of one run: files are written only inside it. Before a file is written, its folder is
 * made (each once per run) and its real path — symbolic links followed — must lie inside the real path of
 * the output folder; a link that leads elsewhere is refused instead of writing through it. The output
 * folder itself may be a link (the user chose it). With a recorder, every folder it creates and every
 * file it puts in place is told to the output record (store/output-record.ts), which stale outputs and
 * `--prune` are judged by.
 */
import { mkdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { WriteError } from '../errors.js';
import { copyFileAtomic } from './atomic.js';
import type { OutputRecorder } from './output-record.js';
import { toRecordPath } from './output-record-format.js';
import { describingFailure, errnoOf, writeFailure } from './write-errors.js';

export interface OutputFolder {
  readonly root: string;
  /** Makes `destination`'s folder and checks that it really lies inside the root (WriteError if not). */
  prepare(destination: string): Promise<void>;
  /** Copies `source` to `destination` atomically; `prepare(destination)` first. */
  copyIn(source: string, destination: string): Promise<void>;
  /** Tells the record that `destination` holds these bytes, written (or found unchanged) for `asset`. */
  placed(destination: string, file: { sha256: string; bytes: number }, asset: string): Promise<void>;
}

export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The closest folder of `path` (itself included) that exists, and what it is. */
export async function nearestExisting(path: string): Promise<{ path: string; isDirectory: boolean }> {
  let current = path;
  for (;;) {
    try {
      return { path: current, isDirectory: (await stat(current)).isDirectory() };
    } catch (error) {
      const parent = dirname(current);
      const errno = errnoOf(error);
      // ENOTDIR: a file further up the path; walk up to it.
      if ((errno !== 'ENOENT' && errno !== 'ENOTDIR') || parent === current) throw error;
      current = parent;
    }
  }
}

/** The WriteError for a folder whose real path leaves the output folder. */
export function outsideOutputError(folder: string, real: string, root: string): WriteError {
  return new WriteError(
    'OUTSIDE_OUTPUT',
    `refused to write into ${folder}: it leads through a symbolic link to ${real}, outside the output folder ${root}; ` +
      'remove the link, or choose the folder you mean with --out',
    { path: folder },
  );
}

export interface OutputFolderOptions {
  /** Told every folder made and file placed (the output record). */
  recorder?: OutputRecorder;
  /** assetgen's own folder for temporary files (the cache's `tmp/`): used when on the output's file system. */
  stagingDir?: string;
}

export function createOutputFolder(root: string, options: OutputFolderOptions = {}): OutputFolder {
  const { recorder } = options;
  let staging: Promise<string | undefined> | undefined;
  /** The staging folder when it shares the output folder's file system (a rename between them works). */
  const stagingDir = (): Promise<string | undefined> => {
    const wanted = options.stagingDir;
    if (wanted === undefined) return Promise.resolve(undefined);
    staging ??= (async () => {
      try {
        await mkdir(wanted, { recursive: true });
        const [a, b] = await Promise.all([stat(wanted), stat(root)]);
        return a.dev === b.dev ? wanted : undefined;
      } catch {
        return undefined;
      }
    })();
    return staging;
  };
  const relativeName = (path: string): string => toRecordPath(relative(root, path));
  let rootReal: Promise<string> | undefined;
  const realRoot = (): Promise<string> => {
    rootReal ??= describingFailure(
      { path: root, doing: 'create the output folder', place: 'output' },
      async () => {
        await mkdir(root, { recursive: true });
        return realpath(root);
      },
    );
    rootReal.catch(() => {
      rootReal = undefined;
    });
    return rootReal;
  };

  const made = new Map<string, Promise<void>>();
  const makeFolder = (folder: string): Promise<void> => {
    let making = made.get(folder);
    if (making === undefined) {
      making = describingFailure(
        { path: folder, doing: 'create the output folder', place: 'output' },
        async () => {
          const inside = await realRoot();
          // Check what exists before creating anything below it: mkdir would follow a link out.
          const existing = await nearestExisting(folder);
          const real = await realpath(existing.path);
          if (!isInside(real, inside)) throw outsideOutputError(existing.path, real, root);
          const first = await mkdir(folder, { recursive: true });
          if (recorder !== undefined && first !== undefined) {
            // mkdir made `first` and everything below it on the way to `folder`.
            const parts = relative(first, folder)
              .split(/[\\/]/)
              .filter((part) => part !== '');
            for (let depth = 0; depth <= parts.length; depth++) {
              const made = join(first, ...parts.slice(0, depth));
              if (made !== root) recorder.folderCreated(relativeName(made));
            }
          }
        },
      );
      made.set(folder, making);
      making.catch(() => made.delete(folder));
    }
    return making;
  };

  const realFolder = async (folder: string): Promise<string> => {
    await makeFolder(folder);
    try {
      return await realpath(folder);
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw error;
      made.delete(folder); // removed since it was made: make it again
      await makeFolder(folder);
      return realpath(folder);
    }
  };

  const prepare = async (destination: string): Promise<void> => {
    const folder = dirname(destination);
    // Checked at every write: a folder made earlier may have been replaced by a link since.
    const [real, inside] = await Promise.all([
      describingFailure({ path: folder, doing: 'write into', place: 'output' }, () => realFolder(folder)),
      realRoot(),
    ]);
    if (!isInside(real, inside)) throw outsideOutputError(folder, real, root);
  };

  return {
    root,
    prepare,
    async placed(destination, file, asset) {
      if (recorder === undefined) return;
      const { mtimeMs } = await stat(destination);
      recorder.fileWritten(relativeName(destination), {
        ...file,
        mtimeMs,
        asset,
        at: new Date().toISOString(),
      });
    },
    async copyIn(source, destination) {
      const target = { path: destination, doing: 'write the output file', place: 'output' } as const;
      try {
        const staged = await stagingDir();
        await copyFileAtomic(source, destination, {
          dirExists: true,
          ...target,
          ...(staged === undefined ? {} : { stagingDir: staged }),
        });
      } catch (error) {
        if (!(error instanceof WriteError && error.errno === 'ENOTDIR')) throw error;
        // Name the file that stands where the folder should be.
        const blocker = await nearestExisting(dirname(destination)).catch(() => undefined);
        const folder = blocker?.isDirectory === false ? blocker.path : undefined;
        throw writeFailure(error.cause, { ...target, ...(folder === undefined ? {} : { folder }) });
      }
    },
  };
}
