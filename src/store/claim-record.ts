/**
 * What one task claim says (`claims/<key>.json` in the store, format CLAIM_VERSION) and when it no longer
 * counts: its lease ran out, or it was written on this host by a process that no longer exists.
 *
 * Format 2 adds `journal`: what the holder's prediction journal says about the task (the time of its intent,
 * the prediction id once created, how it ended), so a run on another machine that takes the claim over
 * re-attaches to that prediction or adopts it instead of paying again. Format 1 claims read alike without it.
 */
import type { JournalState } from './journal.js';

export const CLAIM_VERSION = 2;

export interface ClaimHolder {
  v: number;
  key: string;
  /** Random per run: two runs in one process are different owners. */
  owner: string;
  pid: number;
  host: string;
  startedAt: string;
  /** Renewed while the task runs; a claim not renewed by then is stale. */
  expiresAt: string;
  /** The holder's journal state for the task (format 2), once it has one. */
  journal?: JournalState;
}

export function formatClaim(holder: ClaimHolder): string {
  return `${JSON.stringify(holder)}\n`;
}

/**
 * The claim in a file's text. A file that says nothing usable (cut short, or a newer format without these
 * fields) is held by an unknown owner until a lease after it was last written (`modifiedMs`).
 */
export function parseClaim(text: string, key: string, modifiedMs: number, leaseMs: number): ClaimHolder {
  try {
    const value = JSON.parse(text) as Partial<ClaimHolder>;
    if (
      typeof value.owner === 'string' &&
      typeof value.pid === 'number' &&
      typeof value.host === 'string' &&
      typeof value.startedAt === 'string' &&
      typeof value.expiresAt === 'string' &&
      !Number.isNaN(Date.parse(value.expiresAt))
    ) {
      const journal = journalOf(value.journal);
      return {
        v: typeof value.v === 'number' ? value.v : 0,
        key,
        owner: value.owner,
        pid: value.pid,
        host: value.host,
        startedAt: value.startedAt,
        expiresAt: value.expiresAt,
        ...(journal === undefined ? {} : { journal }),
      };
    }
  } catch {
    // Unreadable: judged by its age below.
  }
  return {
    v: 0,
    key,
    owner: 'unknown',
    pid: 0,
    host: 'unknown',
    startedAt: new Date(modifiedMs).toISOString(),
    expiresAt: new Date(modifiedMs + leaseMs).toISOString(),
  };
}

const ENDED = new Set(['failed', 'canceled', 'aborted']);

/** The journal state in a claim, keeping only fields of the expected types. */
function journalOf(value: unknown): JournalState | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { intentAt, predictionId, ended } = value as Record<string, unknown>;
  const state: JournalState = {};
  if (typeof intentAt === 'string') state.intentAt = intentAt;
  if (typeof predictionId === 'string') state.predictionId = predictionId;
  if (typeof ended === 'string' && ENDED.has(ended))
    state.ended = ended as NonNullable<JournalState['ended']>;
  return Object.keys(state).length === 0 ? undefined : state;
}

/** Whether a process with this id exists on this machine (EPERM: it exists, under another user). */
export function processExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Liveness {
  host: string;
  now: number;
  isAlive: (pid: number) => boolean;
}

/** Why a claim no longer counts, or undefined while it does. */
export function staleReason(holder: ClaimHolder, live: Liveness): string | undefined {
  if (Date.parse(holder.expiresAt) <= live.now) return `its lease expired at ${holder.expiresAt}`;
  if (holder.host === live.host && holder.pid > 0 && !live.isAlive(holder.pid)) {
    return `process ${holder.pid} on ${holder.host} no longer exists`;
  }
  return undefined;
}

/** In words, for a waiting task's progress line. */
export function describeHolder(holder: ClaimHolder): string {
  return holder.owner === 'unknown'
    ? 'another run'
    : `another run (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})`;
}
