/**
 * The dev session's loop: on every change, validate the recipes, (paid) price what would run and get
 * the go-ahead, run them, and have the page rebuilt. One cycle at a time; a save during a cycle marks the
 * session dirty and the loop goes round again when it ends (a save while a confirmation is open
 * supersedes it). Built on the library only: `validateRecipes`, `planRecipes`, `runRecipes` — each given
 * the session's shared store as its `cache`, which they use and leave open.
 */
import { relative } from 'node:path';
import type { RecipeLoadOptions, ReplicateOptions } from '../api/options.js';
import { planRecipes } from '../api/plan.js';
import { type RunReport, runRecipes } from '../api/run.js';
import { type ValidRecipe, validateRecipes } from '../api/validate.js';
import {
  AssetgenError,
  BudgetError,
  CancelledError,
  RecipeError,
  type RecipeProblem,
  type SourceLocation,
} from '../errors.js';
import type { Store } from '../store/store.js';
import { type Confirmations, decideSpend, type SpendPolicy } from './confirmation.js';
import type { DevEvent, DevProblem, DevRunSummary, DevState } from './types.js';

export interface DevLoopOptions {
  files: readonly string[];
  cwd: string;
  outDir: string;
  cacheDir: string;
  /** The shared store behind `cacheDir`, opened (and closed) by the session: every cycle goes through it. */
  remote?: Store;
  provider: 'local' | 'replicate';
  replicate?: ReplicateOptions;
  limits: RecipeLoadOptions;
  policy: SpendPolicy;
  signal: AbortSignal;
}

export interface DevLoopHooks {
  update(patch: Partial<Omit<DevState, 'version' | 'pageVersion'>>): void;
  emit(event: DevEvent): void;
  /** The recipes are valid: these are they (the files they read are watched from now on). */
  valid(recipes: ValidRecipe[]): void;
  /** They are not: watch more widely until they are (a named file may not exist yet). */
  invalid(): void;
  /** Rebuilds the page from the manifest (after a run). */
  rebuildPage(): Promise<void>;
  /** The session's spend so far, and adding to it. */
  spent(): number;
  addSpent(usd: number): void;
}

export interface DevLoop {
  /** Something changed: go round again (now, or when the cycle in progress ends). */
  trigger(): void;
  /** Resolves when the signal aborts and the cycle in progress has ended. */
  done: Promise<void>;
}

const where = (location: SourceLocation, cwd: string): string =>
  `${relative(cwd, location.file) || location.file}:${location.line}:${location.column}`;

export const devProblems = (problems: readonly RecipeProblem[], cwd: string): DevProblem[] =>
  problems.map((problem) => ({
    where: where(problem.location, cwd),
    path: problem.path,
    message: problem.message,
  }));

function summarize(report: RunReport, cwd: string): DevRunSummary {
  return {
    status: report.status,
    made: report.made,
    cached: report.cached,
    failed: report.failed,
    skipped: report.skipped,
    spentUsd: report.spentUsd,
    replicateUsd: report.estimate.replicateUsd,
    durationMs: report.durationMs,
    problems: report.problems.map((problem) => ({
      asset: problem.asset,
      where: where(problem.location, cwd),
      error: problem.error,
    })),
  };
}

export function createDevLoop(
  options: DevLoopOptions,
  hooks: DevLoopHooks,
  confirmations: Confirmations,
): DevLoop {
  let dirty = true;
  let wake: (() => void) | undefined;
  const { signal, cwd } = options;
  const shared = options.remote === undefined ? {} : { cache: options.remote };
  const session = {
    cwd,
    cacheDir: options.cacheDir,
    ...shared,
    provider: options.provider,
    ...options.limits,
    ...(options.replicate === undefined ? {} : { replicate: options.replicate }),
  };

  const showInvalid = (problems: readonly RecipeProblem[]) => {
    hooks.invalid();
    const shown = devProblems(problems, cwd);
    hooks.update({
      phase: 'invalid',
      problems: shown,
      pending: null,
      message: `${problems.length} problem${problems.length === 1 ? '' : 's'} in the recipes: the cards below are from the last good run`,
    });
    hooks.emit({ type: 'invalid', problems: [...problems] });
  };

  /** Paid: whether this change may run now (asked, or within --max-cost), and the budget it runs with. */
  const mayRun = async (): Promise<{ go: boolean; maxUsd?: number }> => {
    if (options.provider !== 'replicate') return { go: true };
    const plan = await planRecipes(options.files, session);
    const tasks = plan.summary.models.reduce((sum, model) => sum + model.tasks - model.cached, 0);
    const change = { tasks, estimatedUsd: plan.summary.estimatedUsd };
    const decision = decideSpend(change, hooks.spent(), options.policy);
    if (decision.kind === 'refuse') {
      hooks.update({ phase: 'over-budget', message: decision.message, problems: [] });
      hooks.emit({ type: 'refused', message: decision.message });
      return { go: false };
    }
    if (decision.kind === 'ask') {
      const { request, answer } = confirmations.ask(change);
      hooks.update({
        phase: 'confirm',
        pending: request,
        problems: [],
        message: 'waiting for a confirmation before spending',
      });
      hooks.emit({ type: 'confirm', request });
      const said = await answer;
      hooks.emit({ type: 'answered', id: request.id, answer: said });
      hooks.update({ pending: null });
      if (said !== 'run') {
        if (said === 'skip')
          hooks.update({
            phase: 'idle',
            message: 'skipped: nothing was spent; save again to be asked again',
          });
        return { go: false };
      }
    }
    const max = options.policy.maxCostUsd;
    return max === undefined ? { go: true } : { go: true, maxUsd: Math.max(0, max - hooks.spent()) };
  };

  const cycle = async () => {
    hooks.update({ phase: 'running', message: 'checking the recipes…' });
    const validation = await validateRecipes(options.files, {
      cwd,
      cacheDir: options.cacheDir,
      ...options.limits,
      ...shared,
    });
    if (!validation.ok) return showInvalid(validation.problems);
    hooks.valid(validation.recipes);
    hooks.update({ problems: [] });
    const allowed = await mayRun();
    if (!allowed.go || signal.aborted || dirty) return;
    hooks.update({
      phase: 'running',
      message: 'running (only what changed: the rest comes from the cache)…',
    });
    const report = await runRecipes(options.files, {
      ...session,
      out: options.outDir,
      signal,
      ...(allowed.maxUsd === undefined ? {} : { maxUsd: allowed.maxUsd }),
    });
    hooks.addSpent(report.spentUsd);
    const summary = summarize(report, cwd);
    hooks.emit({ type: 'run-finished', summary });
    if (report.status === 'cancelled') return;
    await hooks.rebuildPage();
    hooks.update({
      phase: report.status === 'ok' ? 'idle' : 'failed',
      lastRun: summary,
      message:
        report.status === 'ok'
          ? 'up to date: save a recipe or a file it reads to run again'
          : `${report.problems.length} asset${report.problems.length === 1 ? '' : 's'} did not finish (listed below)`,
    });
  };

  const guarded = async () => {
    try {
      await cycle();
    } catch (error) {
      if (error instanceof CancelledError || signal.aborted) return;
      if (error instanceof RecipeError) return showInvalid(error.problems);
      const message = error instanceof Error ? error.message : String(error);
      const phase = error instanceof BudgetError ? 'over-budget' : 'failed';
      hooks.update({
        phase,
        message: error instanceof AssetgenError ? message : `${message} (this is a bug in assetgen)`,
      });
      hooks.emit({ type: 'error', message });
    }
  };

  const loop = async () => {
    while (!signal.aborted) {
      if (!dirty) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      dirty = false;
      await guarded();
    }
  };

  signal.addEventListener(
    'abort',
    () => {
      confirmations.supersede();
      wake?.();
    },
    { once: true },
  );

  return {
    trigger() {
      dirty = true;
      confirmations.supersede();
      wake?.();
    },
    done: loop(),
  };
}
