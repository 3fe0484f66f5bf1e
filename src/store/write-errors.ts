/**
 * File-system failures while writing, in one line each: what was being written, where, the system's reason
 * and what to do — instead of `EACCES: permission denied, open '…/.mug.png.1234.tmp'`. Only failures that
 * mean "this place cannot be written" become a WriteError (the runner stops starting work on them).
 */
import { dirname } from 'node:path';
import { WriteError } from '../errors.js';

/** Which of the run's places is written: it decides the hint (the option that moves it). */
export type WritePlace = 'output' | 'cache' | 'lock';

const OPTION: Record<WritePlace, string> = { output: '--out', cache: '--cache-dir', lock: '--lock' };

interface Kind {
  code: string;
  reason: string;
  /** `folder`: the folder to act on, when known (the target's folder, or the file in the way). */
  hint(folder: string | undefined, option: string | undefined, path: string): string;
}

const elsewhere = (option: string | undefined) =>
  option === undefined ? 'choose another folder' : `choose another folder with ${option}`;

const KINDS: Record<string, Kind> = {
  ENOSPC: {
    code: 'DISK_FULL',
    reason: 'no space left on the disk',
    hint: (_, option) => `free some space, or ${elsewhere(option)} on another disk`,
  },
  EDQUOT: {
    code: 'DISK_QUOTA',
    reason: 'the disk quota is used up',
    hint: (_, option) => `free some space or raise the quota, or ${elsewhere(option)}`,
  },
  EACCES: {
    code: 'NO_PERMISSION',
    reason: 'permission denied',
    hint: (folder, option, path) =>
      `make ${folder ?? dirname(path)} writable (chmod u+w), or ${elsewhere(option)}`,
  },
  EPERM: {
    code: 'NO_PERMISSION',
    reason: 'operation not permitted',
    hint: (folder, option, path) => `make ${folder ?? dirname(path)} writable, or ${elsewhere(option)}`,
  },
  EROFS: {
    code: 'READ_ONLY',
    reason: 'the file system is read-only',
    hint: (_, option) => `${elsewhere(option)} on a writable disk`,
  },
  ENOTDIR: {
    code: 'NOT_A_FOLDER',
    reason: 'a file stands where a folder is needed',
    hint: (file, option) => `move ${file ?? 'that file'} away, or ${elsewhere(option)}`,
  },
  EEXIST: {
    code: 'NOT_A_FOLDER',
    reason: 'a file stands where a folder is needed',
    hint: (file, option) => `move ${file ?? 'that file'} away, or ${elsewhere(option)}`,
  },
  EISDIR: {
    code: 'IS_A_FOLDER',
    reason: 'a folder stands where the file should be',
    hint: (_, option) => `remove or rename that folder, or ${elsewhere(option)}`,
  },
};

/** The system error code of a failed file-system call, if any. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether a failure means "this place cannot be written" (rather than a passing or unrelated error). */
export function isWriteFailure(error: unknown): boolean {
  if (error instanceof WriteError) return true;
  const errno = errnoOf(error);
  return errno !== undefined && Object.hasOwn(KINDS, errno);
}

export interface WriteTarget {
  /** The file or folder being written (not a temporary name). */
  path: string;
  /** Completes "cannot …": e.g. `write the output file`, `create the cache folder`. */
  doing: string;
  place?: WritePlace;
  /** The folder to make writable (default: the path's folder), or the file in the way of a folder. */
  folder?: string;
}

/** The one-line WriteError for a failure that means the target cannot be written; other errors as they were. */
export function writeFailure(error: unknown, target: WriteTarget): unknown {
  if (error instanceof WriteError) return error;
  const errno = errnoOf(error);
  const kind = errno === undefined ? undefined : KINDS[errno];
  if (kind === undefined) return error;
  return new WriteError(
    kind.code,
    describeWriteFailure(kind, errno as string, target),
    { path: target.path, errno },
    { cause: error },
  );
}

function describeWriteFailure(kind: Kind, errno: string, target: WriteTarget): string {
  const option = target.place === undefined ? undefined : OPTION[target.place];
  const hint = kind.hint(target.folder, option, target.path);
  return `cannot ${target.doing} ${target.path}: ${kind.reason} (${errno}); ${hint}`;
}

/** Runs a write and turns its failure into the one-line WriteError for `target`. */
export async function describingFailure<T>(target: WriteTarget, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw writeFailure(error, target);
  }
}
