/**
 * assetgen as a library: `import { runRecipes } from 'assetgen'`. The CLI is a thin layer over exactly
 * these functions, so a caller gets the CLI's behaviour (cache, budgets, lock, manifest, journal) without
 * its argv, printing or exit codes. Nothing here reads the environment: pass the Replicate token in
 * `replicate.token`. Errors are the classes below, each with a stable `code`.
 *
 * - validateRecipes(files)  → every problem as data
 * - planRecipes(files)      → assets, tasks per model, cached or not, estimated cost, budget verdict
 * - runRecipes(files)       → runs; events through `onEvent`, cancelled by `signal`; writes files, manifest, lock;
 *                             reports stale outputs (`RunReport.stale`) and removes them with `prune`
 * - findStaleOutputs(…)     → files assetgen wrote into an output folder that its manifest no longer lists;
 *                             `prune: true` removes them (never a file someone replaced since)
 * - checkRecipes(files)     → proves cache and lock match the recipes; spends and writes nothing
 * - mergeShards({ out })    → the parts of `shard` runs in one output folder → manifest.json and the lock
 * - updatePins(files)       → moves the lock's pins to the latest versions and schemas, with what changed
 * - addModels(refs)         → fetches any Replicate model's schema into the cache and pins it in the lock
 * - pickVariant(file, asset, values) → pins an asset to one variant in the recipe file (`pick:`), or clears it
 * - initProject(dir)        → a starter recipe, the .gitignore lines and a CI workflow; never overwrites
 * - readManifest(path)      → a manifest, checked against its schema and format version
 * - createChangeReport(…)   → two output folders compared: HTML report, Markdown summary, the data
 * - writeReviewPage(…)      → the review page of an output folder (what `assetgen review` writes)
 * - startDev(files)         → watch, re-run on save, serve the review page live on 127.0.0.1 (`assetgen dev`)
 */

export type { LocatedWarning } from './api/budget-check.js';
export { type ImageInspection, inspectImage } from './api/inspect.js';
export { type MergeReport, type MergeShardsOptions, mergeShards } from './api/merge.js';
export {
  type AddedModel,
  type AddModelsOptions,
  type AddModelsReport,
  addModels,
} from './api/models-add.js';
export type {
  CacheOptions,
  LocalUpscalerName,
  ProviderName,
  RecipeLoadOptions,
  ReplicateOptions,
  SessionOptions,
} from './api/options.js';
export { type PickReport, type PickVariantOptions, pickVariant } from './api/pick.js';
export type {
  PlannedAssetReport,
  PlanRecipesOptions,
  PlanReport,
} from './api/plan.js';
export { planRecipes } from './api/plan.js';
export type { ProviderChoice } from './api/provider-choice.js';
export {
  type AssetProblem,
  type CheckRecipesOptions,
  checkRecipes,
  type RunRecipesOptions,
  type RunReport,
  runRecipes,
} from './api/run.js';
export {
  findStaleOutputs,
  type KeptOutput,
  type StaleOutputs,
  type StaleOutputsOptions,
} from './api/stale-outputs.js';
export { type PinChange, type UpdatePinsOptions, type UpdateReport, updatePins } from './api/update.js';
export {
  type ValidateRecipesOptions,
  type ValidationResult,
  type ValidRecipe,
  validateRecipes,
} from './api/validate.js';
export type { C2paSummary } from './c2pa/read.js';
export type { C2paSigningOptions } from './c2pa/signer.js';
export {
  type DevEvent,
  type DevOptions,
  type DevSession,
  type DevState,
  type SpendRequest,
  startDev,
} from './dev/index.js';
export type {
  AssetChange,
  AssetDiff,
  AssetVisual,
  ChangeReason,
  ManifestDiff,
  ReasonKind,
} from './diff/index.js';
export {
  type ChangeReport,
  type ChangeReportOptions,
  compareManifests,
  createChangeReport,
} from './diff/index.js';
export {
  AssetgenError,
  BudgetError,
  CancelledError,
  FrozenError,
  formatProblem,
  ManifestError,
  PreflightError,
  ProviderError,
  type ProviderErrorDetails,
  RecipeError,
  type RecipeProblem,
  type SourceLocation,
  UsageError,
  WriteError,
} from './errors.js';
export { MANIFEST_FILE, readManifest } from './manifest/read.js';
export {
  MANIFEST_VERSION,
  type Manifest,
  type ManifestAsset,
  type ManifestFileInput,
  type ManifestImageStep,
  type ManifestModelStep,
  type ManifestOutput,
  type ManifestProvider,
  type ManifestRecipe,
  type ManifestShard,
  type ManifestShardRecipe,
  type ManifestStep,
  type ManifestStepFile,
} from './manifest/types.js';
export { type CogOutputShape, type CogSchema, readCogSchema } from './models/cog-schema.js';
export { type DerivedKind, deriveKind, type KindOverrides } from './models/model-kinds.js';
export { diffInputSchemas, type SchemaChange } from './models/schema-diff.js';
export type { BudgetStatus, ModelSummary, PlanSummary } from './plan/summary.js';
export type { AssetgenRecipe } from './recipe/recipe-types.generated.js';
export { type ReviewReport, type WriteReviewOptions, writeReviewPage } from './review/index.js';
export { EVENTS_VERSION, type RunEvent, type RunEventListener, type TaskRef } from './run/events.js';
export type { PredictionOrigin, SpendTally } from './run/spend.js';
export { type InitFile, type InitOptions, type InitResult, initProject } from './scaffold/init.js';
export { VERSION } from './version.js';
