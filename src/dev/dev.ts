/**
 * `startDev`: what `assetgen dev` does, as a function. Watches the recipes and the local files they read,
 * re-validates and re-runs on every save (the cache makes only what changed run), and serves the review
 * page on 127.0.0.1 with live reload, the recipes' problems (file:line:column) above the last good cards,
 * Pick buttons, and — with the replicate provider — a confirmation before each change spends.
 */
import { join, relative, resolve } from 'node:path';
import {
  type CacheOptions,
  DEFAULT_CACHE_DIR,
  DEFAULT_OUT_DIR,
  type RecipeLoadOptions,
  type ReplicateOptions,
} from '../api/options.js';
import { pickVariant } from '../api/pick.js';
import { chooseProvider } from '../api/provider-choice.js';
import { closeSharedCache, openSharedCache } from '../api/shared-cache.js';
import { UsageError } from '../errors.js';
import { type PreparedReview, prepareReview, renderReviewPage } from '../review/index.js';
import { VERSION } from '../version.js';
import { createConfirmations, type SpendRequest } from './confirmation.js';
import { DEV_SCRIPT } from './dev-script.js';
import { renderPanel } from './panel.js';
import { createServedFiles, inside } from './served-files.js';
import { type PostAnswer, startDevServer } from './server.js';
import { createDevLoop } from './session.js';
import type { DevEvent, DevState } from './types.js';
import { createFileWatcher } from './watcher.js';

/**
 * `cache` (a shared store behind `cacheDir`, as for `runRecipes`) is opened once when the session starts —
 * a bad one fails before anything is served — every run of the session reads and writes through it, and
 * it is closed when the session ends (one the caller passed as a store stays the caller's).
 */
export interface DevOptions extends RecipeLoadOptions, CacheOptions {
  /** Folder that relative paths resolve against. Default: `process.cwd()`. */
  cwd?: string;
  /** Output folder. Default `output`. */
  out?: string;
  /** The result cache. Default `.assetgen/cache`. With `cache`, the local layer in front of it. */
  cacheDir?: string;
  /** Where the page's thumbnails go. Default `.assetgen/dev` (outside the output folder). */
  pageDir?: string;
  /** Port on 127.0.0.1 (0: any free port). Default 0. */
  port?: number;
  /** Default `local` (offline, nothing is spent). */
  provider?: 'local' | 'replicate';
  replicate?: ReplicateOptions;
  /** Spend without asking — only together with `maxCostUsd`. */
  yes?: boolean;
  /** The most the whole session may spend on Replicate, in USD. */
  maxCostUsd?: number;
  /** Quiet time after a save before the session runs. Default 100 ms. */
  debounceMs?: number;
  /** Ends the session (server, watcher, the run in progress). */
  signal?: AbortSignal;
  onEvent?: (event: DevEvent) => void;
  /** Applied to every text the server sends (the CLI removes its secrets with it). */
  redact?: (text: string) => string;
}

export interface DevSession {
  /** `http://127.0.0.1:PORT/` (redirects to the page). */
  url: string;
  /** The page's own URL. */
  pageUrl: string;
  state(): DevState;
  /** Answers the open confirmation (the terminal's key); false when `id` is not the open one. */
  confirm(id: number, run: boolean): boolean;
  pending(): SpendRequest | null;
  /** Ends the session; resolves when the server is closed and the cycle in progress has ended. */
  close(): Promise<void>;
  /** Resolves when the session has ended (by `close` or the signal). */
  closed: Promise<void>;
}

const EMPTY_MODEL: PreparedReview['model'] = {
  generatorVersion: VERSION,
  recipes: [],
  cards: [],
  statusCounts: { ok: 0, failed: 0, skipped: 0, cancelled: 0 },
};

export async function startDev(files: readonly string[], options: DevOptions = {}): Promise<DevSession> {
  const cwd = options.cwd ?? process.cwd();
  const provider = options.provider ?? 'local';
  if (files.length === 0) throw new UsageError('name at least one recipe file to watch');
  if (options.yes === true && options.maxCostUsd === undefined)
    throw new UsageError(
      '--yes spends without asking, so it needs --max-cost <usd>: the most this session may spend',
    );
  if (provider === 'replicate') chooseProvider('replicate', options.replicate); // no token: UsageError now
  const outDir = resolve(cwd, options.out ?? DEFAULT_OUT_DIR);
  const cacheDir = resolve(cwd, options.cacheDir ?? DEFAULT_CACHE_DIR);
  const pageDir = resolve(cwd, options.pageDir ?? '.assetgen/dev');
  if (inside(outDir, pageDir))
    throw new UsageError(
      `the dev page's folder ${pageDir} is inside the output folder ${outDir}: choose another`,
    );
  const redact = options.redact ?? ((text: string) => text);
  const emit = (event: DevEvent) => options.onEvent?.(event);
  const controller = new AbortController();
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener('abort', () => controller.abort(), { once: true });

  let state: DevState = {
    version: 1,
    pageVersion: 1,
    phase: 'starting',
    message: 'starting…',
    problems: [],
    lastRun: null,
    pending: null,
    provider,
    spentUsd: 0,
    maxCostUsd: options.maxCostUsd ?? null,
  };
  let review: PreparedReview | null = null;
  /** Recipe name → file, of the watched recipes (the only ones a Pick may write). */
  let recipeFiles = new Map<string, string>();
  let wide = false;
  const servedFiles = createServedFiles({ pageDir, outDir, cacheDir });
  const { pagePath } = servedFiles;
  const confirmations = createConfirmations();
  const recipePaths = files.map((file) => resolve(cwd, file));
  const sessionFolders = [outDir, cacheDir, pageDir];

  const remote = await openSharedCache(options);
  const server = await startDevServer(
    {
      pagePath,
      page: () =>
        redact(
          renderReviewPage(review?.model ?? EMPTY_MODEL, {
            pageDir,
            previews: review?.previews ?? new Map(),
            manifestLabel: relative(cwd, join(outDir, 'manifest.json')),
            writtenAt: new Date(),
            served: { panel: renderPanel(state), script: DEV_SCRIPT, version: state.pageVersion },
          }),
        ),
      state: () =>
        JSON.stringify({
          version: state.version,
          pageVersion: state.pageVersion,
          panel: redact(renderPanel(state)),
        }),
      file: (pathname) => servedFiles.resolve(pathname),
      pick: (body) => pick(body),
      confirm(body): PostAnswer {
        const { id, run } = (body ?? {}) as { id?: unknown; run?: unknown };
        if (typeof id !== 'number' || typeof run !== 'boolean')
          return { status: 400, body: { ok: false, error: 'expected { id: number, run: boolean }' } };
        const answered = confirmations.answer(id, run);
        return answered
          ? { status: 200, body: { ok: true } }
          : {
              status: 409,
              body: { ok: false, error: 'that question is no longer open (the recipes changed since)' },
            };
      },
    },
    { port: options.port ?? 0 },
  ).catch(async (error: unknown) => {
    await closeSharedCache(options, remote);
    throw error;
  });

  const update = (patch: Partial<Omit<DevState, 'version' | 'pageVersion'>>) => {
    state = { ...state, ...patch, version: state.version + 1 };
    server.broadcast();
  };

  const watcher = createFileWatcher({
    debounceMs: options.debounceMs ?? 100,
    onChange(changed) {
      emit({ type: 'changed', files: changed });
      loop.trigger();
    },
    anyName: () => wide,
    ignore: (path) => sessionFolders.some((folder) => inside(folder, path)),
  });
  watcher.watch(recipePaths);

  async function pick(body: unknown): Promise<PostAnswer> {
    const { recipe, asset, variant } = (body ?? {}) as Record<string, unknown>;
    if (typeof recipe !== 'string' || typeof asset !== 'string' || typeof variant !== 'string')
      return { status: 400, body: { ok: false, error: 'expected { recipe, asset, variant } (strings)' } };
    const file = recipeFiles.get(recipe);
    if (file === undefined)
      return {
        status: 403,
        body: { ok: false, error: `recipe "${recipe}" is not one this session watches` },
      };
    const card = review?.model.cards.find(
      (c) => c.recipe === recipe && c.asset === asset && c.variantName === variant,
    );
    if (card === undefined)
      return { status: 404, body: { ok: false, error: `no card ${recipe}/${asset} ${variant}` } };
    try {
      const report = await pickVariant(file, asset, card.variant, { cwd });
      emit({ type: 'picked', file: report.file, assetId: asset, changed: report.changed });
      return { status: 200, body: { ok: true, changed: report.changed } };
    } catch (error) {
      return {
        status: 422,
        body: { ok: false, error: redact(error instanceof Error ? error.message : String(error)) },
      };
    }
  }

  const loop = createDevLoop(
    {
      files,
      cwd,
      outDir,
      cacheDir,
      ...(remote === undefined ? {} : { remote }),
      provider,
      ...(options.replicate === undefined ? {} : { replicate: options.replicate }),
      limits: {
        ...(options.maxInstances === undefined ? {} : { maxInstances: options.maxInstances }),
        ...(options.allowRoots === undefined ? {} : { allowRoots: options.allowRoots }),
      },
      policy: {
        yes: options.yes === true,
        ...(options.maxCostUsd === undefined ? {} : { maxCostUsd: options.maxCostUsd }),
      },
      signal: controller.signal,
    },
    {
      update,
      emit,
      valid(recipes) {
        wide = false;
        recipeFiles = new Map(recipes.map((recipe) => [recipe.name, recipe.file]));
        watcher.watch([...recipePaths, ...recipes.flatMap((recipe) => recipe.localFiles)]);
      },
      invalid() {
        wide = true;
        // Folders of files named in the recipe may be new; the recipes' own stay watched.
        watcher.watch(new Set([...watcher.files(), ...recipePaths]));
      },
      async rebuildPage() {
        const started = performance.now();
        try {
          review = await prepareReview({
            outDir,
            to: pageDir,
            cacheDir,
            manifestLabel: relative(cwd, join(outDir, 'manifest.json')),
          });
        } catch (error) {
          if (!(error instanceof Error && 'code' in error && error.code === 'MANIFEST_MISSING')) throw error;
          review = null;
        }
        servedFiles.setOutputs(review?.model.cards.flatMap((card) => card.outputs.map((o) => o.file)) ?? []);
        state = { ...state, pageVersion: state.pageVersion + 1 };
        emit({
          type: 'page',
          cards: review?.model.cards.length ?? 0,
          durationMs: performance.now() - started,
        });
      },
      spent: () => state.spentUsd,
      addSpent: (usd) => {
        state = { ...state, spentUsd: state.spentUsd + usd };
      },
    },
    confirmations,
  );

  emit({ type: 'listening', url: server.url });
  const closed = loop.done.then(async () => {
    watcher.close();
    try {
      await server.close();
    } finally {
      await closeSharedCache(options, remote);
    }
  });
  return {
    url: server.url,
    pageUrl: new URL(pagePath, server.url).href,
    state: () => state,
    confirm: (id, run) => confirmations.answer(id, run),
    pending: () => confirmations.pending(),
    async close() {
      controller.abort();
      await closed;
    },
    closed,
  };
}
