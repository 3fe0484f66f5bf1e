export { LONG_IMAGE_PROMPT, LONG_TEXT_PROMPT } from './_check-prompts.js';
export { DEFAULT_MAX_INSTANCES } from './_instance-limit.js';
export { MAX_NESTING } from './_nesting.js';
export { MAX_ALIAS_COUNT, MAX_RECIPE_BYTES } from './_yaml-source.js';
export {
  type AssetInstance,
  BUILTIN_VARIABLES,
  describeInstance,
  expandInstances,
  type InstanceList,
  listInstances,
  matchesPick,
  OUTPUT_VARIABLES,
  RESERVED_VARIABLES,
  renderAssetText,
  stepTextVariable,
  variantCombinations,
  variantLabel,
} from './instances.js';
export {
  type LoadedRecipe,
  type LoadRecipeOptions,
  loadRecipe,
  loadRecipes,
  loadRecipeText,
  type ParseRecipeOptions,
  parseRecipeText,
} from './load.js';
export { assetLocation, createRecipeLocator, type RecipeLocator } from './locate.js';
export {
  formatExtension,
  OUTPUT_FORMATS,
  type OutputFileOptions,
  type OutputFormatName,
  outputFormatName,
  outputPathVars,
  pathExtension,
  relativePathProblem,
  renderOutputPath,
} from './outputs.js';
export {
  describePick,
  editPick,
  type PickChange,
  type PickResult,
  type PickValues,
  pickArguments,
  pickInFile,
} from './pick.js';
export type { AssetgenRecipe, Format, Operation, Output, Price, Step } from './recipe-types.generated.js';
export {
  outputImageStep,
  stepCatalogModel,
  stepModelRef,
  stepProducesImage,
  stepProducesText,
  upstreamImageStep,
} from './steps.js';
export {
  hasTemplate,
  type ParsedTemplate,
  parseTemplate,
  renderDeep,
  renderTemplate,
  renderValue,
  slugify,
  TEMPLATE_FILTERS,
  type TemplateFilter,
  type TemplatePart,
  type TemplateSyntaxError,
  type TemplateValue,
  type TemplateVariablePart,
  templateVariables,
} from './templates.js';
