/**
 * Task claims: runs that share a cache — one folder, or a remote store (S3 …) behind each runner's folder —
 * run each task once between them. Before a run starts a task it claims the task's key (`claims/<key>.json`
 * in the store, created with `putIfAbsent`: of several runs exactly one succeeds). It renews the claim's
 * lease while the task runs, writes into it what its journal records for the task (intent, prediction id,
 * how it ended: claim-record.ts), and deletes it when the task's result is in the cache or the task failed.
 * A run that meets a live claim waits (`wait`): it polls the cache with backoff until the result is there
 * and serves it, or claims the task itself once the claim is gone without a result or is stale — its
 * lease ran out, or (a folder on this machine) it was written on this host by a process that no longer
 * exists (a killed run).
 *
 * A stale claim is taken over by a conditional replace (`put` with `ifMatch` on the version judged stale):
 * of several waiters exactly one replaces that version, the others find the winner's live claim; the claim
 * never disappears in between, so no plain claimant can slip in. Every write of an owned claim (renewal,
 * journal note) is a conditional replace of its last version, one at a time, so a run whose lease lapsed
 * and was taken over learns it (`renew` → false) instead of overwriting the taker's claim.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
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
import { createFsStore } from './fs-store.js';
import { foldJournalEntry, type JournalEntry, type JournalState } from './journal.js';
import { type Store, storeKeys } from './store.js';

export type { ClaimHolder } from './claim-record.js';

export interface OwnedClaim {
  readonly key: string;
  /** The stale claim this one replaced: its run may have created a prediction for the task (`journal`). */
  readonly tookOver?: ClaimHolder;
  /** Extends the lease (done on its own every lease/3); false when the claim is no longer this run's. */
  renew(): Promise<boolean>;
  /** Records a journal line in the claim, for a run that may take it over (an intent is awaited). */
  note(entry: JournalEntry): Promise<void>;
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
  /** Whether another live run holds a claim in this store. */
  othersActive(): Promise<boolean>;
  /** Releases every claim this run still holds. */
  close(): Promise<void>;
}

export interface TaskClaimsOptions {
  /** How long a claim counts without renewal (default 30 s). */
  leaseMs?: number;
  /** First and longest pause between two looks while waiting (default 50 ms, growing to 1 s). */
  pollMs?: { first: number; max: number };
  /**
   * Whether a claim of this host whose process is gone counts as stale at once (default: for a folder
   * given by path; not for a store shared between machines, whose host names may repeat across containers).
   */
  checkPid?: boolean;
  /** For tests: the host name and process id written into claims, and how a pid is checked. */
  host?: string;
  pid?: number;
  isAlive?: (pid: number) => boolean;
}

/** Looks at a stale claim being replaced by another waiter before saying who holds it. */
const TAKEOVER_ATTEMPTS = 30;

/** `store`: a store, or the path of a cache folder (its `claims/` folder). */
export function createTaskClaims(store: Store | string, options: TaskClaimsOptions = {}): TaskClaims {
  const byPath = typeof store === 'string';
  const claims = byPath ? createFsStore(store) : store;
  const leaseMs = options.leaseMs ?? 30_000;
  const poll = options.pollMs ?? { first: 50, max: 1_000 };
  const host = options.host ?? hostname();
  const pid = options.pid ?? process.pid;
  const checkPid = options.checkPid ?? byPath;
  const isAlive = checkPid ? (options.isAlive ?? processExists) : () => true;
  const owner = randomBytes(8).toString('hex');
  const held = new Map<string, OwnedClaim>();

  const liveness = (): Liveness => ({ host, now: Date.now(), isAlive });
  const record = (key: string, startedAt: string, journal: JournalState | undefined): string =>
    formatClaim({
      v: CLAIM_VERSION,
      key,
      owner,
      pid,
      host,
      startedAt,
      expiresAt: new Date(Date.now() + leaseMs).toISOString(),
      ...(journal === undefined ? {} : { journal }),
    });

  /** The claim and its version, or undefined when there is none. */
  const read = async (key: string): Promise<{ etag: string; holder: ClaimHolder } | undefined> => {
    const got = await claims.get(storeKeys.claim(key));
    if (got === undefined) return undefined;
    return { etag: got.etag, holder: parseClaim(got.body.toString('utf8'), key, got.modifiedMs, leaseMs) };
  };

  const own = (
    key: string,
    startedAt: string,
    tookOver: ClaimHolder | undefined,
    inherited: JournalState | undefined,
  ): OwnedClaim => {
    const path = storeKeys.claim(key);
    let journal = inherited;
    let released = false;
    // One write at a time, each a conditional replace of the version this run last saw as its own.
    let writing: Promise<unknown> = Promise.resolve();
    const serial = <T>(write: () => Promise<T>): Promise<T> => {
      const next = writing.then(write, write);
      writing = next.catch(() => {});
      return next;
    };
    const rewrite = (): Promise<boolean> =>
      serial(async () => {
        if (released) return false;
        const current = await read(key);
        if (current === undefined) return claims.putIfAbsent(path, record(key, startedAt, journal));
        if (current.holder.owner !== owner) return false;
        return claims.put(path, record(key, startedAt, journal), { ifMatch: current.etag });
      });
    const timer = setInterval(() => {
      rewrite().then(
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
      renew: rewrite,
      async note(entry) {
        journal = foldJournalEntry(journal ?? {}, entry);
        await rewrite();
      },
      async release() {
        if (released) return;
        clearInterval(timer);
        held.delete(key);
        await serial(async () => {
          released = true;
          const current = await read(key).catch(() => undefined);
          if (current?.holder.owner === owner) await claims.delete(path);
        });
      },
    };
    held.set(key, claim);
    return claim;
  };

  const claim = async (key: string): Promise<ClaimAttempt> => {
    const path = storeKeys.claim(key);
    for (let attempt = 0; ; attempt++) {
      const startedAt = new Date().toISOString();
      if (await claims.putIfAbsent(path, record(key, startedAt, undefined))) {
        return { owned: own(key, startedAt, undefined, undefined) };
      }
      const current = await read(key);
      if (current === undefined) continue; // released between the two looks: try again
      if (current.holder.owner === owner || attempt >= TAKEOVER_ATTEMPTS) return { heldBy: current.holder };
      if (staleReason(current.holder, liveness()) === undefined) return { heldBy: current.holder };
      // The taker carries on what the stale claim's journal said, for whoever takes over from it.
      const inherited = current.holder.journal;
      if (await claims.put(path, record(key, startedAt, inherited), { ifMatch: current.etag })) {
        return { owned: own(key, startedAt, current.holder, inherited) };
      }
      // Another waiter replaced it first: look again (its fresh claim is live).
      await sleep(Math.min(5 * 2 ** Math.min(attempt, 6), 200));
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
      const live = liveness();
      for await (const name of claims.list(storeKeys.claims)) {
        if (!name.endsWith('.json')) continue;
        const key = name.slice(storeKeys.claims.length, -'.json'.length);
        const current = await read(key).catch(() => undefined);
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
