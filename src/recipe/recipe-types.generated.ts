// Generated from schema/recipe.schema.json by scripts/gen-recipe-types.mjs. Do not edit by hand:
// change the schema and run `npm run gen:types`.

/**
 * Quality gates after each model step (at the recipe's top for every step; in a step, over the recipe's field by field): a result that fails one is made again with a new derived seed, up to `retries` more tries (each a counted cost), then the asset fails with the gate's reason. `false` turns the gates off.
 */
export type Checks = (false | {
/**
 * How many more tries after a failed gate (default 1).
 */
retries?: number
/**
 * Pictures that are blank or all one colour (a black safety-filter image) fail. `min_stdev`: the least spread of any colour channel, 0–255 (default 2).
 */
blank?: (boolean | {
min_stdev?: number
})
/**
 * Background removal: the share of opaque pixels must lie between `min` and `max` (default 0.01 and 0.99).
 */
alpha?: (boolean | {
/**
 * Least share of opaque pixels (0–1).
 */
min?: number
/**
 * Largest share of opaque pixels (0–1).
 */
max?: number
})
/**
 * Upscalers: the result must be the input's size times the scale (default on).
 */
size?: boolean
/**
 * Language models: the text must not be empty. `min_chars`: the least number of characters, blanks aside (default 1).
 */
text?: (boolean | {
min_chars?: number
})
})
export type Scalar = (string | number | boolean)
/**
 * Letters, digits, '-' and '_', starting with a letter or digit (at most 64 characters).
 */
export type Identifier = string
/**
 * What a model costs when no published price applies (or to override it): per output image, or per second of its hardware (Replicate's pricing page) times a typical run time — without `typical_seconds` the run time comes from this project's past runs.
 */
export type Price = ({
per_image: number
} | {
per_second: number
/**
 * Seconds a run takes (predict_time); default: the mean of this project's past runs.
 */
typical_seconds?: number
})
export type Posint = number
export type Gravity = ("center" | "north" | "northeast" | "east" | "southeast" | "south" | "southwest" | "west" | "northwest")
/**
 * A colour: #rgb, #rgba, #rrggbb, #rrggbbaa, or transparent / white / black.
 */
export type Color = string
export type Nonneg = number
/**
 * Local image operations (sharp), applied in order.
 */
export type Operations = Operation[]
/**
 * Output format: a name (png, jpeg, webp, avif) or an object with one of them and its options. Defaults to the path's extension.
 */
export type Format = (("png" | "jpeg" | "webp" | "avif") | {
png?: {
compression_level?: number
palette?: boolean
}
jpeg?: {
quality?: number
progressive?: boolean
mozjpeg?: boolean
}
webp?: {
quality?: number
lossless?: boolean
effort?: number
}
avif?: {
quality?: number
lossless?: boolean
effort?: number
}
})
/**
 * Operations applied to this output only, before resizing to widths and encoding.
 */
export type Operations1 = Operation[]

/**
 * A recipe: assets, a chain of steps (Replicate models or local image operations) and outputs.
 */
export interface AssetgenRecipe {
/**
 * Optional pointer to this schema (for editors).
 */
$schema?: string
/**
 * Recipe name; also the default output folder.
 */
name: string
description?: string
/**
 * Alt text for each asset's images, rendered per asset and written to the manifest (the Vite plugin gives it as `alt`). May hold {{ templates }}: id, variant, recipe, your variables, and steps.<id>.text for a text step's result (`alt: "{{ steps.alt.text }}"`), rendered once that step ran.
 */
alt?: string
/**
 * Folder inside the output directory (default: the recipe name).
 */
output?: string
budget?: {
/**
 * Refuse to run when the estimate exceeds this; stop starting paid tasks when spend would.
 */
max_usd: number
}
concurrency?: {
/**
 * Paid tasks at once (default 8).
 */
remote?: number
/**
 * Local CPU tasks at once (default: number of CPUs).
 */
local?: number
/**
 * Per-model limits, by owner/name.
 */
models?: {
[k: string]: number | undefined
}
}
/**
 * Safety limits, checked before anything is expanded or spent.
 */
limits?: {
/**
 * Most asset × variant instances this recipe may expand to (default 10000); --max-instances overrides it.
 */
max_instances?: number
}
/**
 * What every output image file embeds as XMP: `full` = the IPTC digital source type plus the assetgen record (recipe, asset, variant, steps with model, version, prediction id, seed, task keys, generator version) and the prompts; `ids` (default) = the same without prompts; `label` = only the digital source type; `none` = no XMP.
 */
provenance?: ("full" | "ids" | "label" | "none")
checks?: Checks
/**
 * Variables shared by every asset.
 */
vars?: {
[k: string]: Scalar | undefined
}
/**
 * The assets to make (at least one).
 * 
 * @minItems 1
 * 
 * Items: An asset: an id plus any variables of your own.
 */
assets: [{
id: Identifier
pick?: VariantPick
[k: string]: Scalar | Identifier | VariantPick | undefined
}, ...({
id: Identifier
pick?: VariantPick
[k: string]: Scalar | Identifier | VariantPick | undefined
})[]]
/**
 * Variables with several values: every asset runs once per combination (e.g. seed: [1, 2]).
 */
variants?: {
/**
 * @minItems 1
 */
[k: string]: [Scalar, ...(Scalar)[]] | undefined
}
/**
 * @minItems 1
 */
steps: [Step, ...(Step)[]]
/**
 * Named variants of the recipe that swap models and inputs per step, chosen with --profile (e.g. draft: flux-schnell with few steps, while the steps themselves name the final models). A run with a profile writes to <out>/<profile>/ and its own manifest there.
 */
profiles?: {
[k: string]: Profile | undefined
}
/**
 * @minItems 1
 */
outputs: [Output, ...(Output)[]]
}
/**
 * The variant to make for this asset, e.g. { seed: 42 } (written by `assetgen pick`): only the combinations with these values run; each name is a variant and each value one of its values.
 */
export interface VariantPick {
[k: string]: Scalar | undefined
}
/**
 * A model step (`model` or `deployment`, + `input`) or a local image step (`image`).
 */
export interface Step {
/**
 * Letters, digits, '-' and '_', starting with a letter or digit (at most 64 characters).
 */
id: string
/**
 * A Replicate model: owner/name or owner/name:version.
 */
model?: string
/**
 * A Replicate deployment (owner/name) to run instead of a model: its current release's model version gives the schema the input is checked against (looked up with a token, then pinned in assetgen.lock).
 */
deployment?: string
/**
 * The model's input. Strings may hold {{ templates }} (`{{` always starts one; a string that is exactly one template keeps the value's type). The image input defaults to the previous step's image.
 */
input?: {
[k: string]: unknown | undefined
}
/**
 * Letters, digits, '-' and '_', starting with a letter or digit (at most 64 characters).
 */
from?: string
/**
 * Whether the model is an official Replicate model (run without a version, priced per output). Outside the catalog this is read from Replicate; set it to say so without asking.
 */
official?: boolean
/**
 * The model input that takes the upstream image, when the one guessed from the model's schema (an image-like file input such as image, input_image, init_image) is wrong.
 */
image_input?: string
/**
 * Whether the model makes images or text, when the guess from its output schema is wrong (decides the offline stand-in).
 */
kind?: ("image" | "text")
price?: Price
checks?: Checks
image?: Operations
}
/**
 * One image operation: an object with exactly one key naming the operation.
 */
export interface Operation {
resize?: OpResize
crop?: OpCrop
trim?: OpTrim
extend?: OpExtend
flatten?: OpFlatten
rotate?: OpRotate
flip?: OpFlip
composite?: OpComposite
modulate?: OpModulate
sharpen?: OpSharpen
blur?: OpBlur
greyscale?: OpGreyscale
}
/**
 * Resize to width and/or height (at least one).
 */
export interface OpResize {
width?: Posint
height?: Posint
fit?: ("cover" | "contain" | "fill" | "inside" | "outside")
position?: Gravity
background?: Color
without_enlargement?: boolean
kernel?: ("nearest" | "linear" | "cubic" | "mitchell" | "lanczos2" | "lanczos3")
}
/**
 * Extract a region (left/top default to 0).
 */
export interface OpCrop {
left?: Nonneg
top?: Nonneg
width: Posint
height: Posint
}
/**
 * Remove edges that match the background (top-left pixel unless given).
 */
export interface OpTrim {
threshold?: number
background?: Color
}
/**
 * Pad the edges (pixels); `all` sets every side.
 */
export interface OpExtend {
all?: Nonneg
top?: Nonneg
bottom?: Nonneg
left?: Nonneg
right?: Nonneg
background?: Color
}
/**
 * Remove alpha by merging onto a background (default white).
 */
export interface OpFlatten {
background?: Color
}
/**
 * Rotate by degrees (clockwise).
 */
export interface OpRotate {
angle: number
background?: Color
}
/**
 * Mirror the image.
 */
export interface OpFlip {
axis?: ("horizontal" | "vertical")
}
/**
 * Place an overlay image (e.g. a watermark).
 */
export interface OpComposite {
/**
 * Overlay image file, relative to the recipe file.
 */
image: string
gravity?: Gravity
left?: number
top?: number
/**
 * Resize the overlay to this width first.
 */
width?: number
opacity?: number
blend?: ("over" | "multiply" | "screen" | "overlay" | "darken" | "lighten" | "soft-light" | "hard-light" | "difference")
}
/**
 * Adjust brightness, saturation, hue (degrees), lightness.
 */
export interface OpModulate {
brightness?: number
saturation?: number
hue?: number
lightness?: number
}
/**
 * Sharpen (mild when no sigma).
 */
export interface OpSharpen {
sigma?: number
}
/**
 * Gaussian blur.
 */
export interface OpBlur {
sigma: number
}
/**
 * Convert to greyscale.
 */
export interface OpGreyscale {

}
export interface Profile {
description?: string
/**
 * Overrides by step id (model steps only).
 */
steps: {
[k: string]: ProfileStep | undefined
}
}
/**
 * What the profile changes in one model step. A swapped model drops the step's own price: unless the profile gives one.
 */
export interface ProfileStep {
/**
 * The model this profile runs instead: owner/name or owner/name:version.
 */
model?: string
/**
 * Merged over the step's input, key by key; a key set to null is removed.
 */
input?: {
[k: string]: unknown | undefined
}
price?: Price
}
export interface Output {
/**
 * File path inside the recipe's output folder; may hold {{ templates }}: id, variant, recipe, your variables, width (with widths), format, ext, n (image number) and steps.<id>.text. `{{` always starts a template.
 */
path: string
/**
 * Letters, digits, '-' and '_', starting with a letter or digit (at most 64 characters).
 */
from?: string
format?: Format
/**
 * One file per width (responsive sets); use {{ width }} in the path.
 * 
 * @minItems 1
 */
widths?: [Posint, ...(Posint)[]]
image?: Operations1
}
