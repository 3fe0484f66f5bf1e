/**
 * Task claims: runs that share a cache folder run each paid task once between them. Before a run starts a
 * task it claims the task's key (`<cache>/claims/<key>.json`, created exclusively: written to a private
 * file, then hard-linked into place, which fails when a claim exists). It renews the claim's lease while
 * the task runs and deletes the claim when the task's result is in the cache or the task failed. A run that
 * meets a live claim waits (`wait`): it polls the cache with backoff until the result is there and serves
 * it, or claims the task itself once the claim is gone without a result or is stale — its lease ran out,
 * or it was written on this host by a process that no longer exists (a killed run).
 *
 * A stale claim is taken over without a race: the waiter first creates the key's takeover lock exclusively
 * (of several waiters exactly one gets it), re-reads the claim and, if it is still the stale one it judged,
 * renames its own fresh claim over it — the claim file never disappears in between, so no plain claimant can
 * slip in — then drops the lock. (A takeover lock left by a killed run is cleared once stale itself.)
 *
 * The interface (claim → owned | heldBy, renew, release, wait) asks only for an exclusive create, a
 * replace-if-unchanged and a delete, so it fits an object store with conditional puts as well.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError } from '../errors.js';
import {
  CLAIM_VERSION,
  type ClaimHolder,
  formatClaim,
  type Liveness,
  parseClaim,
  processExists,
  staleReason,
} from './claim-record.js';

export type { ClaimHolder } from './claim-record.js';

export interface OwnedClaim {
  readonly key: string;
  /** The stale claim this one replaced: its run may have journalled a prediction for the task. */
  readonly tookOver?: ClaimHolder;
  /** Extends the lease (done on its own every lease/3); false when the claim is no longer this run's. */
  renew(): Promise<boolean>;
  /** Deletes the claim (when it is still this run's) and stops renewing it. */
  release(): Promise<void>;
}

export type ClaimAttempt = { owned: OwnedClaim } | { heldBy: ClaimHolder };

export interface WaitOptions<T> {
  signal?: AbortSignal;
  /** The task's result, when some run has stored it. */
  result: () => Promise<T | undefined>;
  /** Called when the task is found held by another run (once per holder). */
  onWaiting?: (holder: ClaimHolder) => void;
}

export interface TaskClaims {
  /** This run's owner id. */
  readonly owner: string;
  /** Claims the task, taking over a stale claim; or says who holds it. */
  claim(key: string): Promise<ClaimAttempt>;
  /** Until the task's result exists (then `result`) or this run owns the claim (then `owned`). */
  wait<T>(key: string, options: WaitOptions<T>): Promise<{ result: T } | { owned: OwnedClaim }>;
  /** Whether another live run holds a claim in this folder. */
  othersActive(): Promise<boolean>;
  /** Releases every claim this run still holds. */
  close(): Promise<void>;
}

export interface TaskClaimsOptions {
  /** How long a claim counts without renewal (default 30 s). */
  leaseMs?: number;
  /** First and longest pause between two looks while waiting (default 50 ms, growing to 1 s). */
  pollMs?: { first: number; max: number };
  /** For tests: the host name and process id written into claims, and how a pid is checked. */
  host?: string;
  pid?: number;
  isAlive?: (pid: number) => boolean;
}

/** Looks at a stale claim being replaced by another waiter before saying who holds it (~5 s in all). */
const TAKEOVER_ATTEMPTS = 30;

export function createTaskClaims(cacheDir: string, options: TaskClaimsOptions = {}): TaskClaims {
  const dir = join(cacheDir, 'claims');
  const leaseMs = options.leaseMs ?? 30_000;
  const poll = options.pollMs ?? { first: 50, max: 1_000 };
  const host = options.host ?? hostname();
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? processExists;
  const owner = randomBytes(8).toString('hex');
  const held = new Map<string, OwnedClaim>();
  let made: Promise<unknown> | undefined;

  const pathOf = (key: string): string => join(dir, `${key}.json`);
  const privatePath = (key: string, what: string): string =>
    join(dir, `.${key}.${what}.${owner}.${randomBytes(4).toString('hex')}`);
  const liveness = (): Liveness => ({ host, now: Date.now(), isAlive });

  const record = (key: string, startedAt: string): ClaimHolder => ({
    v: CLAIM_VERSION,
    key,
    owner,
    pid,
    host,
    startedAt,
    expiresAt: new Date(Date.now() + leaseMs).toISOString(),
  });

  /** The claim file's text and holder, or undefined when there is none. */
  const read = async (
    path: string,
    key: string,
  ): Promise<{ text: string; holder: ClaimHolder } | undefined> => {
    try {
      const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
      return { text, holder: parseClaim(text, key, info.mtimeMs, leaseMs) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };

  /** Puts the text at `path` only if nothing is there; false when something is. */
  const createExclusive = async (path: string, key: string, text: string): Promise<boolean> => {
    made ??= mkdir(dir, { recursive: true });
    await made;
    const temporary = privatePath(key, 'new');
    await writeFile(temporary, text);
    try {
      await link(temporary, path);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
      // A file system without hard links: an exclusive open (a reader may briefly see it empty).
      try {
        await writeFile(path, text, { flag: 'wx' });
        return true;
      } catch (fallback) {
        if ((fallback as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw fallback;
      }
    } finally {
      await rm(temporary, { force: true });
    }
  };

  /**
   * Replaces a stale claim, if it is still the one judged (`text`), by this run's `fresh` one. Only the holder
   * of the key's takeover lock (created exclusively) may replace, and it renames the fresh claim over the
   * stale one, so the claim file never disappears meanwhile and no plain claimant can slip in. Returns
   * `owned` when this run now holds the claim, `busy` when another waiter holds the lock, `changed` when the
   * claim was released or replaced in between.
   */
  const takeOver = async (
    path: string,
    key: string,
    text: string,
    fresh: string,
  ): Promise<'owned' | 'busy' | 'changed'> => {
    const lock = join(dir, `.${key}.takeover`);
    if (!(await createExclusive(lock, key, formatClaim(record(key, new Date().toISOString()))))) {
      // A lock left by a run killed in the middle of a takeover is cleared once it is stale itself.
      const other = await read(lock, key).catch(() => undefined);
      if (other !== undefined && staleReason(other.holder, liveness()) !== undefined) {
        await rm(lock, { force: true });
      }
      return 'busy';
    }
    try {
      const current = await read(path, key);
      if (current === undefined || current.text !== text) return 'changed';
      const temporary = privatePath(key, 'takeover');
      await writeFile(temporary, fresh);
      await rename(temporary, path);
      return 'owned';
    } finally {
      await rm(lock, { force: true });
    }
  };

  const own = (key: string, startedAt: string, tookOver: ClaimHolder | undefined): OwnedClaim => {
    const path = pathOf(key);
    let released = false;
    const renew = async (): Promise<boolean> => {
      if (released) return false;
      const current = await read(path, key);
      if (current === undefined) return createExclusive(path, key, formatClaim(record(key, startedAt)));
      if (current.holder.owner !== owner) return false;
      const temporary = privatePath(key, 'renew');
      await writeFile(temporary, formatClaim(record(key, startedAt)));
      await rename(temporary, path);
      return true;
    };
    const timer = setInterval(() => {
      renew().then(
        (mine) => {
          if (!mine) clearInterval(timer);
        },
        () => {}, // tried again at the next tick; the lease leaves room for two misses
      );
    }, leaseMs / 3);
    timer.unref();
    const claim: OwnedClaim = {
      key,
      ...(tookOver === undefined ? {} : { tookOver }),
      renew,
      async release() {
        if (released) return;
        released = true;
        clearInterval(timer);
        held.delete(key);
        const current = await read(path, key).catch(() => undefined);
        if (current?.holder.owner === owner) await rm(path, { force: true });
      },
    };
    held.set(key, claim);
    return claim;
  };

  const claim = async (key: string): Promise<ClaimAttempt> => {
    const path = pathOf(key);
    for (let attempt = 0; ; attempt++) {
      const startedAt = new Date().toISOString();
      if (await createExclusive(path, key, formatClaim(record(key, startedAt)))) {
        return { owned: own(key, startedAt, undefined) };
      }
      const current = await read(path, key);
      if (current === undefined) continue; // released between the two looks: try again
      if (current.holder.owner === owner || attempt >= TAKEOVER_ATTEMPTS) return { heldBy: current.holder };
      if (staleReason(current.holder, liveness()) === undefined) return { heldBy: current.holder };
      const takeoverStart = new Date().toISOString();
      const outcome = await takeOver(path, key, current.text, formatClaim(record(key, takeoverStart)));
      if (outcome === 'owned') return { owned: own(key, takeoverStart, current.holder) };
      // Another waiter is replacing it: give it a moment, then look again.
      if (outcome === 'busy') await sleep(Math.min(5 * 2 ** Math.min(attempt, 6), 200));
    }
  };

  return {
    owner,
    claim,
    async wait(key, { signal, result, onWaiting }) {
      let pause = poll.first;
      let announced: string | undefined;
      for (;;) {
        if (signal?.aborted) throw new CancelledError();
        const found = await result();
        if (found !== undefined) return { result: found };
        const attempt = await claim(key);
        if ('owned' in attempt) {
          // The holder may have stored the result just before it let go.
          const late = await result();
          if (late === undefined) return { owned: attempt.owned };
          await attempt.owned.release();
          return { result: late };
        }
        if (announced !== attempt.heldBy.owner) {
          announced = attempt.heldBy.owner;
          onWaiting?.(attempt.heldBy);
        }
        try {
          await sleep(pause, undefined, signal === undefined ? {} : { signal });
        } catch {
          throw new CancelledError();
        }
        pause = Math.min(poll.max, Math.round(pause * 1.5));
      }
    },
    async othersActive() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return false;
      }
      const live = liveness();
      for (const name of names) {
        if (name.startsWith('.') || !name.endsWith('.json')) continue;
        const key = name.slice(0, -'.json'.length);
        const current = await read(join(dir, name), key).catch(() => undefined);
        if (current === undefined || current.holder.owner === owner) continue;
        if (staleReason(current.holder, live) === undefined) return true;
      }
      return false;
    },
    async close() {
      await Promise.all([...held.values()].map((claim) => claim.release().catch(() => {})));
    },
  };
}
