/** What a dev session is doing, as the page and the terminal show it, and the events it reports. */
import type { RecipeProblem } from '../errors.js';
import type { SpendRequest } from './confirmation.js';

export type DevPhase = 'starting' | 'running' | 'confirm' | 'idle' | 'invalid' | 'failed' | 'over-budget';

/** One recipe problem as shown: `where` is `file:line:column` (file relative to the session's folder). */
export interface DevProblem {
  where: string;
  path: string;
  message: string;
}

export interface DevRunSummary {
  status: 'ok' | 'failed' | 'cancelled';
  made: number;
  cached: number;
  failed: number;
  skipped: number;
  spentUsd: number;
  /** What the change would have cost on Replicate (offline runs), null when unknown. */
  replicateUsd: number | null;
  durationMs: number;
  /** Assets that did not finish: `recipe/asset[/variant]`, where it is declared, and why. */
  problems: Array<{ asset: string; where: string; error: string }>;
}

export interface DevState {
  /** Bumps on every change of what follows. */
  version: number;
  /** Bumps when the cards change (a run finished and the page was rebuilt). */
  pageVersion: number;
  phase: DevPhase;
  /** One line: what is happening now. */
  message: string;
  /** The recipes' problems while they are invalid (the last good cards stay shown). */
  problems: DevProblem[];
  lastRun: DevRunSummary | null;
  /** A change waiting for a confirmation before it spends. */
  pending: SpendRequest | null;
  provider: 'local' | 'replicate';
  /** Spent by this session so far, and its cap (`maxCostUsd`). */
  spentUsd: number;
  maxCostUsd: number | null;
}

/** What a session reports, in order (the CLI prints them). */
export type DevEvent =
  | { type: 'listening'; url: string }
  | { type: 'changed'; files: string[] }
  | { type: 'invalid'; problems: RecipeProblem[] }
  | { type: 'confirm'; request: SpendRequest }
  | { type: 'answered'; id: number; answer: 'run' | 'skip' | 'superseded' }
  | { type: 'refused'; message: string }
  | { type: 'run-finished'; summary: DevRunSummary }
  | { type: 'page'; cards: number; durationMs: number }
  | { type: 'picked'; file: string; assetId: string; changed: boolean }
  | { type: 'error'; message: string };
