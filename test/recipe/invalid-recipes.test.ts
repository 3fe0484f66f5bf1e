/**
 * Every kind of recipe problem, from a table: a small YAML text → the exact problems (position, recipe
 * path, message fragments). Each row must report exactly the listed problems — no more.
 */
import { describe, expect, test } from 'vitest';
import { createCatalog } from '../../src/models/catalog.js';
import { brief, problemsOf, yaml } from './_helpers.js';

interface Expected {
  /** `line:column` */
  at: string;
  path: string;
  has: string[];
}

interface Row {
  name: string;
  text: string;
  problems: Expected[];
}

// Lines 1-2 of most rows.
const HEAD = ['name: t', 'assets: [{ id: mug }]'];
// Lines 3-6: one text-to-image step.
const GEN = [
  'steps:',
  '  - id: gen',
  '    model: black-forest-labs/flux-schnell',
  '    input: { prompt: "a {{ id }}" }',
];
// Lines 7-8 after HEAD + GEN.
const OUT = ['outputs:', '  - path: "{{ id }}.png"'];

const rows: Row[] = [
  // ── YAML itself ──
  {
    name: 'YAML syntax error, at the YAML library position',
    text: yaml('name: t', 'assets: [{ id: mug }', 'steps: []'),
    problems: [{ at: '3:1', path: '', has: ['YAML syntax error', 'Flow sequence'] }],
  },
  {
    name: 'duplicate key, at the second key, naming the first',
    text: yaml(...HEAD, ...GEN, '    model: stability-ai/sdxl', ...OUT),
    problems: [
      { at: '7:5', path: 'steps[0].model', has: ['duplicate key "model"', 'first at line 5, column 5'] },
    ],
  },
  // ── shape (recipe schema) ──
  {
    name: 'empty document',
    text: yaml('# nothing here'),
    problems: [{ at: '1:1', path: '', has: ['the recipe is empty', 'name:, assets:, steps: and outputs:'] }],
  },
  {
    name: 'document that is not a mapping',
    text: yaml('- just', '- a list'),
    problems: [
      {
        at: '1:1',
        path: '',
        has: ['expected a mapping with name, assets, steps and outputs', 'an array of 2'],
      },
    ],
  },
  {
    name: 'missing required keys, at the parent',
    text: yaml(...HEAD, ...GEN, 'outputs:', '  - format: png'),
    problems: [{ at: '8:5', path: 'outputs[0]', has: ['missing required key "path"'] }],
  },
  {
    name: 'unknown top-level key with did-you-mean',
    text: yaml(...HEAD, ...GEN, ...OUT, 'budjet: { max_usd: 1 }'),
    problems: [{ at: '9:1', path: 'budjet', has: ['unknown key "budjet"', 'did you mean "budget"?'] }],
  },
  {
    name: 'unknown key in a step with did-you-mean',
    text: yaml(...HEAD, ...GEN, '    form: gen', ...OUT),
    problems: [{ at: '7:5', path: 'steps[0].form', has: ['unknown key "form"', 'did you mean "from"?'] }],
  },
  {
    name: 'unknown key in an output lists the known keys',
    text: yaml(...HEAD, ...GEN, ...OUT, '    quality: 80'),
    problems: [
      {
        at: '9:5',
        path: 'outputs[0].quality',
        has: ['unknown key "quality"', 'known: path, from, format, widths, image'],
      },
    ],
  },
  {
    name: 'unknown operation with did-you-mean',
    text: yaml(...HEAD, ...GEN, '  - id: tidy', '    image: [{ resise: { width: 10 } }]', ...OUT),
    problems: [
      {
        at: '8:15',
        path: 'steps[1].image[0].resise',
        has: ['unknown operation "resise"', 'did you mean "resize"?'],
      },
    ],
  },
  {
    name: 'operation object with two keys',
    text: yaml(...HEAD, ...GEN, '  - id: tidy', '    image:', '      - { trim: {}, greyscale: {} }', ...OUT),
    problems: [{ at: '9:9', path: 'steps[1].image[0]', has: ['exactly one key', 'has 2 (trim, greyscale)'] }],
  },
  {
    name: 'empty operation',
    text: yaml(...HEAD, ...GEN, '  - id: tidy', '    image: [{}]', ...OUT),
    problems: [{ at: '8:13', path: 'steps[1].image[0]', has: ['empty operation', 'resize, crop, trim'] }],
  },
  {
    name: 'wrong type, in the expected-for-but-received wording',
    text: yaml(...HEAD, ...GEN, '  - id: tidy', '    image: [{ resize: { width: big } }]', ...OUT),
    problems: [
      {
        at: '8:32',
        path: 'steps[1].image[0].resize.width',
        has: ['expected an integer for width but received "big" of type string'],
      },
    ],
  },
  {
    name: 'wrong type of a whole section',
    text: yaml('name: t', 'assets: mug', ...GEN, ...OUT),
    problems: [
      { at: '2:9', path: 'assets', has: ['expected a list for assets but received "mug" of type string'] },
    ],
  },
  {
    name: 'recipe value out of range',
    text: yaml(...HEAD, ...GEN, 'outputs:', '  - path: "{{ id }}-{{ width }}.png"', '    widths: [0, 320]'),
    problems: [{ at: '9:14', path: 'outputs[0].widths[0]', has: ['must be >= 1', 'accepts 1 to 16384'] }],
  },
  {
    name: 'enum value with did-you-mean',
    text: yaml(
      ...HEAD,
      ...GEN,
      '  - id: tidy',
      '    image: [{ resize: { width: 10, fit: contian } }]',
      ...OUT,
    ),
    problems: [
      {
        at: '8:41',
        path: 'steps[1].image[0].resize.fit',
        has: ['expected one of "cover", "contain"', 'did you mean "contain"?'],
      },
    ],
  },
  {
    name: 'pattern: a colour',
    text: yaml(...HEAD, ...GEN, '  - id: tidy', '    image: [{ flatten: { background: "#12" } }]', ...OUT),
    problems: [
      {
        at: '8:38',
        path: 'steps[1].image[0].flatten.background',
        has: ['expected a colour (#rgb', 'received "#12"'],
      },
    ],
  },
  {
    name: 'pattern: an identifier',
    text: yaml('name: my recipe', 'assets: [{ id: mug }]', ...GEN, ...OUT),
    problems: [{ at: '1:7', path: 'name', has: ['expected an identifier', 'received "my recipe"'] }],
  },
  {
    name: 'format that is neither a name nor a one-key object',
    text: yaml(...HEAD, ...GEN, ...OUT, '    format: gif'),
    problems: [
      {
        at: '9:13',
        path: 'outputs[0].format',
        has: ['expected one of "png", "jpeg", "webp", "avif"', 'received "gif"'],
      },
    ],
  },
  {
    name: 'format object with an option out of range (the fitting anyOf branch is reported)',
    text: yaml(...HEAD, ...GEN, ...OUT, '    format: { webp: { quality: 200 } }'),
    problems: [
      { at: '9:32', path: 'outputs[0].format.webp.quality', has: ['must be <= 100', 'accepts 1 to 100'] },
    ],
  },
  {
    name: 'format object naming two formats',
    text: yaml(...HEAD, ...GEN, ...OUT, '    format: { png: {}, webp: {} }'),
    problems: [
      { at: '9:13', path: 'outputs[0].format', has: ['name exactly one format, not 2 (png, webp)'] },
    ],
  },
  {
    name: 'price in neither form',
    text: yaml(
      ...HEAD,
      'steps:',
      '  - id: gen',
      '    model: acme/painter',
      '    price: { usd: 0.1 }',
      ...OUT,
    ),
    problems: [
      {
        at: '6:12',
        path: 'steps[0].price',
        has: ['expected a price like { per_image: 0.01 } or { per_second: 0.000225, typical_seconds: 5 }'],
      },
    ],
  },
  {
    name: 'price per second with a misspelt typical_seconds (closest anyOf branch)',
    text: yaml(
      ...HEAD,
      'steps:',
      '  - id: gen',
      '    model: acme/painter',
      '    price: { per_second: 0.001, typical_secs: 3 }',
      ...OUT,
    ),
    problems: [{ at: '6:33', path: 'steps[0].price.typical_secs', has: ['typical_secs'] }],
  },
  // ── assets ──
  {
    name: 'empty asset list',
    text: yaml('name: t', 'assets: []', ...GEN, ...OUT),
    problems: [{ at: '2:9', path: 'assets', has: ['the asset list is empty', 'add at least one asset'] }],
  },
  {
    name: 'duplicate asset ids',
    text: yaml('name: t', 'assets:', '  - id: mug', '  - id: mug', ...GEN, ...OUT),
    problems: [
      { at: '4:9', path: 'assets[1].id', has: ['duplicate asset id "mug"', 'assets[0] has it already'] },
    ],
  },
  {
    name: 'asset variable that is not a scalar',
    text: yaml('name: t', 'assets:', '  - id: mug', '    colors: [red, blue]', ...GEN, ...OUT),
    problems: [
      {
        at: '4:13',
        path: 'assets[0].colors',
        has: ['expected a string, a number or a boolean for colors but received an array of 2'],
      },
    ],
  },
  {
    name: 'a built-in variable name used as a variable',
    text: yaml(...HEAD, 'vars: { width: 10 }', ...GEN, ...OUT),
    problems: [{ at: '3:9', path: 'vars.width', has: ['"width" is a built-in variable', 'rename it'] }],
  },
  // ── steps ──
  {
    name: 'a step with neither model nor image',
    text: yaml(...HEAD, ...GEN, '  - id: empty', ...OUT),
    problems: [{ at: '7:5', path: 'steps[1]', has: ['a step needs model:', 'or image:'] }],
  },
  {
    name: 'a step with both model and image',
    text: yaml(...HEAD, ...GEN, '    image: [{ greyscale: {} }]', ...OUT),
    problems: [{ at: '7:5', path: 'steps[0].image', has: ['model: or image:, not both'] }],
  },
  {
    name: 'input and price on an image step',
    text: yaml(
      ...HEAD,
      ...GEN,
      '  - id: tidy',
      '    image: [{ greyscale: {} }]',
      '    input: { scale: 2 }',
      '    price: { per_image: 1 }',
      ...OUT,
    ),
    problems: [
      { at: '9:5', path: 'steps[1].input', has: ['only model steps take input:'] },
      { at: '10:5', path: 'steps[1].price', has: ['only model steps take price:'] },
    ],
  },
  {
    name: 'duplicate step ids',
    text: yaml(...HEAD, ...GEN, '  - id: gen', '    image: [{ greyscale: {} }]', ...OUT),
    problems: [
      { at: '7:9', path: 'steps[1].id', has: ['duplicate step id "gen"', 'steps[0] has it already'] },
    ],
  },
  {
    name: 'an image step with no image before it',
    text: yaml(...HEAD, 'steps:', '  - id: tidy', '    image: [{ greyscale: {} }]', ...OUT),
    problems: [
      {
        at: '5:5',
        path: 'steps[0].image',
        has: ['the first step cannot be an image step', 'start with a model step'],
      },
    ],
  },
  {
    name: 'from: naming no step, with did-you-mean',
    text: yaml(...HEAD, ...GEN, '  - id: tidy', '    from: gne', '    image: [{ greyscale: {} }]', ...OUT),
    problems: [{ at: '8:11', path: 'steps[1].from', has: ['no step "gne"', 'did you mean "gen"?'] }],
  },
  {
    name: 'from: naming a later step',
    text: yaml(
      ...HEAD,
      ...GEN,
      '  - id: up',
      '    model: nightmareai/real-esrgan',
      '    from: tidy',
      '  - id: tidy',
      '    image: [{ greyscale: {} }]',
      ...OUT,
    ),
    problems: [
      { at: '9:11', path: 'steps[1].from', has: ['step "tidy" comes later (steps[2])', 'earlier step'] },
    ],
  },
  {
    name: 'from: naming a text step',
    text: yaml(
      ...HEAD,
      'steps:',
      '  - id: idea',
      '    model: meta/meta-llama-3-70b-instruct',
      '  - id: gen',
      '    model: black-forest-labs/flux-dev',
      '    from: idea',
      '    input: { prompt: x }',
      ...OUT,
    ),
    problems: [{ at: '8:11', path: 'steps[1].from', has: ['step "idea" makes text, not an image'] }],
  },
  {
    name: 'from: on a model that takes no image',
    text: yaml(
      ...HEAD,
      ...GEN,
      '  - id: again',
      '    model: black-forest-labs/flux-schnell',
      '    from: gen',
      '    input: { prompt: x }',
      ...OUT,
    ),
    problems: [{ at: '9:11', path: 'steps[1].from', has: ['flux-schnell takes no input image'] }],
  },
  // ── models ──
  {
    name: 'unknown model without price says how to fix it',
    text: yaml(...HEAD, 'steps:', '  - id: gen', '    model: acme/painter', ...OUT),
    problems: [
      {
        at: '5:12',
        path: 'steps[0].model',
        has: [
          '"acme/painter" is not in the catalog',
          'price: { per_image: … }',
          'price: { per_second: …, typical_seconds: … }',
        ],
      },
    ],
  },
  {
    name: 'unknown model close to a catalogued one',
    text: yaml(...HEAD, 'steps:', '  - id: gen', '    model: black-forest-labs/flux-schnel', ...OUT),
    problems: [
      {
        at: '5:12',
        path: 'steps[0].model',
        has: ['not in the catalog', 'did you mean "black-forest-labs/flux-schnell"?'],
      },
    ],
  },
  {
    name: 'malformed model reference (schema pattern)',
    text: yaml(...HEAD, 'steps:', '  - id: gen', '    model: flux', ...OUT),
    problems: [
      {
        at: '5:12',
        path: 'steps[0].model',
        has: ['expected a model reference (owner/name or owner/name:version)', 'received "flux"'],
      },
    ],
  },
  {
    name: 'malformed model version',
    text: yaml(
      ...HEAD,
      'steps:',
      '  - id: gen',
      '    model: acme/painter:v2',
      '    price: { per_image: 0.01 }',
      ...OUT,
    ),
    problems: [
      {
        at: '5:12',
        path: 'steps[0].model',
        has: ['owner/name:<64 hex digits version>', 'received "acme/painter:v2"'],
      },
    ],
  },
  {
    name: 'official model with a version',
    text: yaml(
      ...HEAD,
      'steps:',
      '  - id: gen',
      `    model: black-forest-labs/flux-schnell:${'a'.repeat(64)}`,
      '    input: { prompt: x }',
      ...OUT,
    ),
    problems: [{ at: '5:12', path: 'steps[0].model', has: ['official model and has no versions'] }],
  },
  // ── model inputs ──
  {
    name: 'model input above its maximum',
    text: yaml(
      ...HEAD,
      ...GEN,
      '  - id: up',
      '    model: nightmareai/real-esrgan',
      '    input: { scale: 20 }',
      ...OUT,
    ),
    problems: [
      {
        at: '9:21',
        path: 'steps[1].input.scale',
        has: ['must be <= 10 (nightmareai/real-esrgan accepts 0 to 10)'],
      },
    ],
  },
  {
    name: 'model input not in its enum',
    text: yaml(
      ...HEAD,
      'steps:',
      '  - id: gen',
      '    model: black-forest-labs/flux-schnell',
      '    input:',
      '      prompt: x',
      '      aspect_ratio: "1:3"',
      ...OUT,
    ),
    problems: [
      {
        at: '8:21',
        path: 'steps[0].input.aspect_ratio',
        has: [
          'expected one of "1:1", "16:9"',
          'black-forest-labs/flux-schnell input "aspect_ratio"',
          'received "1:3"',
        ],
      },
    ],
  },
  {
    name: 'model input of the wrong type',
    text: yaml(
      ...HEAD,
      'steps:',
      '  - id: gen',
      '    model: black-forest-labs/flux-schnell',
      '    input: { prompt: x, num_outputs: two }',
      ...OUT,
    ),
    problems: [
      {
        at: '6:38',
        path: 'steps[0].input.num_outputs',
        has: ['expected an integer for black-forest-labs/flux-schnell input "num_outputs"', '"two"'],
      },
    ],
  },
  {
    name: 'unknown model input with did-you-mean',
    text: yaml(
      ...HEAD,
      'steps:',
      '  - id: gen',
      '    model: black-forest-labs/flux-schnell',
      '    input: { prompt: x, aspect: "1:1" }',
      ...OUT,
    ),
    problems: [
      {
        at: '6:25',
        path: 'steps[0].input.aspect',
        has: ['unknown input "aspect"', 'did you mean "aspect_ratio"?'],
      },
    ],
  },
  {
    name: 'unknown model input lists what the model takes',
    text: yaml(
      ...HEAD,
      ...GEN,
      '  - id: up',
      '    model: nightmareai/real-esrgan',
      '    input: { scael: 2 }',
      ...OUT,
    ),
    problems: [
      { at: '9:14', path: 'steps[1].input.scael', has: ['unknown input "scael"', 'did you mean "scale"?'] },
    ],
  },
  {
    name: 'missing required model input, at the parent',
    text: yaml(
      ...HEAD,
      'steps:',
      '  - id: gen',
      '    model: black-forest-labs/flux-schnell',
      '    input: { seed: 1 }',
      ...OUT,
    ),
    problems: [
      {
        at: '6:12',
        path: 'steps[0].input',
        has: ['missing required input "prompt"', 'black-forest-labs/flux-schnell needs it'],
      },
    ],
  },
  {
    name: 'an upscaler as the first step has no image to take',
    text: yaml(...HEAD, 'steps:', '  - id: up', '    model: nightmareai/real-esrgan', ...OUT),
    problems: [
      {
        at: '4:5',
        path: 'steps[0].input',
        has: ['missing required input "image"', 'no earlier step makes one'],
      },
    ],
  },
  {
    name: 'a single-template input is validated after substitution, once per location',
    text: yaml(
      'name: t',
      'assets: [{ id: mug }, { id: lamp }]',
      'variants: { seed: [11, lucky] }',
      'steps:',
      '  - id: gen',
      '    model: black-forest-labs/flux-schnell',
      '    input: { prompt: x, seed: "{{ seed }}" }',
      'outputs:',
      '  - path: "{{ id }}-{{ seed }}.png"',
    ),
    problems: [
      {
        at: '7:31',
        path: 'steps[0].input.seed',
        has: [
          'expected an integer',
          'received "lucky"',
          '("{{ seed }}" gives "lucky" for asset mug (seed-lucky))',
        ],
      },
    ],
  },
  {
    name: 'a local file input that does not exist',
    text: yaml(
      ...HEAD,
      'steps:',
      '  - id: up',
      '    model: nightmareai/real-esrgan',
      '    input: { image: photos/missing.png }',
      ...OUT,
    ),
    problems: [{ at: '6:21', path: 'steps[0].input.image', has: ['file "photos/missing.png" not found'] }],
  },
  {
    name: 'a composite overlay file that does not exist',
    text: yaml(...HEAD, ...GEN, '  - id: mark', '    image: [{ composite: { image: logo.png } }]', ...OUT),
    problems: [{ at: '8:35', path: 'steps[1].image[0].composite.image', has: ['file "logo.png" not found'] }],
  },
  // ── templates ──
  {
    name: 'unknown template variable, naming the known ones',
    text: yaml(
      ...HEAD,
      'vars: { style: soft }',
      'steps:',
      '  - id: gen',
      '    model: black-forest-labs/flux-schnell',
      '    input: { prompt: "{{ stlye }} light" }',
      ...OUT,
    ),
    problems: [
      {
        at: '7:22',
        path: 'steps[0].input.prompt',
        has: ['unknown variable "stlye" (did you mean "style"?); known: id, recipe, style, variant'],
      },
    ],
  },
  {
    name: 'a variable set on one asset only',
    text: yaml(
      'name: t',
      'assets:',
      '  - { id: mug, subject: a mug }',
      '  - { id: lamp }',
      'steps:',
      '  - id: gen',
      '    model: black-forest-labs/flux-schnell',
      '    input: { prompt: "{{ subject }}" }',
      ...OUT,
    ),
    problems: [
      { at: '8:22', path: 'steps[0].input.prompt', has: ['variable "subject" is not set for asset lamp'] },
    ],
  },
  {
    name: 'unknown filter',
    text: yaml(
      ...HEAD,
      'steps:',
      '  - id: gen',
      '    model: black-forest-labs/flux-schnell',
      '    input: { prompt: "{{ id | capitalize }}" }',
      ...OUT,
    ),
    problems: [
      {
        at: '6:22',
        path: 'steps[0].input.prompt',
        has: ['unknown filter "capitalize"', 'lower, upper, slug, trim'],
      },
    ],
  },
  {
    name: 'an expression instead of a variable',
    text: yaml(
      ...HEAD,
      'steps:',
      '  - id: gen',
      '    model: black-forest-labs/flux-schnell',
      '    input: { prompt: "{{ id + 1 }}" }',
      ...OUT,
    ),
    problems: [
      { at: '6:22', path: 'steps[0].input.prompt', has: ['is not a variable name', 'no expressions'] },
    ],
  },
  {
    name: 'an unclosed template',
    text: yaml(
      ...HEAD,
      'steps:',
      '  - id: gen',
      '    model: black-forest-labs/flux-schnell',
      '    input: { prompt: "a {{ id" }',
      ...OUT,
    ),
    problems: [
      { at: '6:22', path: 'steps[0].input.prompt', has: ['is never closed', 'always starts a template'] },
    ],
  },
  {
    name: 'an output variable in a step input',
    text: yaml(
      ...HEAD,
      'steps:',
      '  - id: gen',
      '    model: black-forest-labs/flux-schnell',
      '    input: { prompt: "{{ width }}px" }',
      ...OUT,
    ),
    problems: [
      { at: '6:22', path: 'steps[0].input.prompt', has: ['{{ width }} is only available in output paths'] },
    ],
  },
  {
    name: 'step text from a step that makes an image',
    text: yaml(
      ...HEAD,
      ...GEN,
      '  - id: again',
      '    model: black-forest-labs/flux-dev',
      '    input: { prompt: "{{ steps.gen.text }}" }',
      ...OUT,
    ),
    problems: [{ at: '9:22', path: 'steps[1].input.prompt', has: ['step "gen" makes an image, not text'] }],
  },
  {
    name: 'step text from a later step',
    text: yaml(
      ...HEAD,
      'steps:',
      '  - id: gen',
      '    model: black-forest-labs/flux-schnell',
      '    input: { prompt: "{{ steps.idea.text }}" }',
      '  - id: idea',
      '    model: meta/meta-llama-3-70b-instruct',
      ...OUT,
    ),
    problems: [
      { at: '6:22', path: 'steps[0].input.prompt', has: ['step "idea" does not run before this one'] },
    ],
  },
  // ── alt ──
  {
    name: 'alt from a step that does not exist',
    text: yaml(...HEAD, 'alt: "{{ steps.caption.text }}"', ...GEN, ...OUT),
    problems: [{ at: '3:6', path: 'alt', has: ['{{ steps.caption.text }}: no step "caption"'] }],
  },
  {
    name: 'alt from a step that makes an image, and from a misspelt step',
    text: yaml(...HEAD, 'alt: "{{ steps.gen.text }} by {{ steps.gne.text }}"', ...GEN, ...OUT),
    problems: [
      { at: '3:6', path: 'alt', has: ['step "gen" makes an image, not text'] },
      { at: '3:6', path: 'alt', has: ['no step "gne"', 'did you mean "gen"?'] },
    ],
  },
  {
    name: 'alt with an output-only or unknown variable',
    text: yaml(...HEAD, 'alt: "{{ width }} {{ subjct }}"', ...GEN, ...OUT),
    problems: [
      { at: '3:6', path: 'alt', has: ['{{ width }} is only available in output paths'] },
      { at: '3:6', path: 'alt', has: ['unknown variable "subjct"'] },
    ],
  },
  // ── outputs ──
  {
    name: 'two outputs giving the same file',
    text: yaml(
      ...HEAD,
      ...GEN,
      'outputs:',
      '  - path: "{{ id }}.webp"',
      '  - path: "{{ id }}.webp"',
      '    widths: [320]',
    ),
    problems: [
      {
        at: '8:11',
        path: 'outputs[0].path',
        has: [
          '"{{ id }}.webp" gives the same file "mug.webp" as outputs[1].path for asset mug at width 320',
          '(add {{ width }} to tell them apart)',
        ],
      },
    ],
  },
  {
    name: 'one output colliding across variants',
    text: yaml(...HEAD, 'variants: { seed: [11, 42] }', ...GEN, 'outputs:', '  - path: "{{ id }}.png"'),
    problems: [
      {
        at: '9:11',
        path: 'outputs[0].path',
        has: [
          'gives the same file "mug.png" for asset mug (seed-11) and asset mug (seed-42)',
          '(add {{ seed }} to tell them apart)',
        ],
      },
    ],
  },
  {
    name: 'widths without {{ width }}',
    text: yaml(...HEAD, ...GEN, ...OUT, '    widths: [320, 640]'),
    problems: [
      {
        at: '8:11',
        path: 'outputs[0].path',
        has: ['at width 320 and asset mug at width 640', 'add {{ width }}'],
      },
    ],
  },
  {
    name: 'several images per run without {{ n }}',
    text: yaml(
      ...HEAD,
      'steps:',
      '  - id: gen',
      '    model: black-forest-labs/flux-schnell',
      '    input: { prompt: x, num_outputs: 2 }',
      ...OUT,
    ),
    problems: [
      {
        at: '8:11',
        path: 'outputs[0].path',
        has: ['for asset mug image 1 and asset mug image 2', 'add {{ n }}'],
      },
    ],
  },
  {
    name: '{{ width }} on an output without widths',
    text: yaml(...HEAD, ...GEN, 'outputs:', '  - path: "{{ id }}-{{ width }}.png"'),
    problems: [
      { at: '8:11', path: 'outputs[0].path', has: ['{{ width }} is only set on outputs with widths'] },
    ],
  },
  {
    name: 'unknown variable in an output path',
    text: yaml(...HEAD, ...GEN, 'outputs:', '  - path: "{{ ids }}.png"'),
    problems: [
      { at: '8:11', path: 'outputs[0].path', has: ['unknown variable "ids"', 'did you mean "id"?'] },
    ],
  },
  {
    name: 'absolute output path',
    text: yaml(...HEAD, ...GEN, 'outputs:', '  - path: /srv/www/hero.png'),
    problems: [{ at: '8:11', path: 'outputs[0].path', has: ['"/srv/www/hero.png" is absolute'] }],
  },
  {
    name: 'output path escaping the output folder',
    text: yaml(...HEAD, ...GEN, 'outputs:', '  - path: "img/../../{{ id }}.png"'),
    problems: [
      {
        at: '8:11',
        path: 'outputs[0].path',
        has: ['"img/../../mug.png" leaves the output folder', 'for asset mug'],
      },
    ],
  },
  {
    name: 'output path escaping through a variable',
    text: yaml(
      'name: t',
      'assets: [{ id: mug, folder: "../up" }]',
      ...GEN,
      'outputs:',
      '  - path: "{{ folder }}/{{ id }}.png"',
    ),
    problems: [{ at: '8:11', path: 'outputs[0].path', has: ['"../up/mug.png" leaves the output folder'] }],
  },
  {
    name: 'the recipe output folder escaping',
    text: yaml(...HEAD, 'output: ../elsewhere', ...GEN, ...OUT),
    problems: [{ at: '3:9', path: 'output', has: ['"../elsewhere" leaves the output directory'] }],
  },
  {
    name: 'the recipe output folder absolute',
    text: yaml(...HEAD, 'output: /tmp/out', ...GEN, ...OUT),
    problems: [{ at: '3:9', path: 'output', has: ['"/tmp/out" is absolute'] }],
  },
  {
    name: 'an output whose format cannot be told',
    text: yaml(...HEAD, ...GEN, 'outputs:', '  - path: "{{ id }}.gif"'),
    problems: [
      {
        at: '8:11',
        path: 'outputs[0].path',
        has: ['cannot tell the format', '".gif" is not a format assetgen writes'],
      },
    ],
  },
  {
    name: 'an extension that contradicts format:',
    text: yaml(...HEAD, ...GEN, ...OUT, '    format: webp'),
    problems: [{ at: '8:11', path: 'outputs[0].path', has: ['ends in .png but format: is webp'] }],
  },
  {
    name: 'output from: naming no step',
    text: yaml(...HEAD, ...GEN, ...OUT, '    from: gne'),
    problems: [{ at: '9:11', path: 'outputs[0].from', has: ['no step "gne"', 'did you mean "gen"?'] }],
  },
  {
    name: 'an output when no step makes an image',
    text: yaml(...HEAD, 'steps:', '  - id: idea', '    model: meta/meta-llama-3-70b-instruct', ...OUT),
    problems: [{ at: '7:5', path: 'outputs[0]', has: ['no step makes an image for this output to write'] }],
  },
];

describe('invalid recipes', () => {
  const catalog = createCatalog();
  test.each(rows)('$name', ({ text, problems: expectedProblems }) => {
    const problems = problemsOf(text, catalog);
    expect(problems.length, problems.map(brief).join('\n')).toBe(expectedProblems.length);
    expectedProblems.forEach((want, i) => {
      const got = problems[i];
      expect(got, `problem ${i}`).toBeDefined();
      if (got === undefined) return;
      expect(`${got.location.line}:${got.location.column}`, brief(got)).toBe(want.at);
      expect(got.path, brief(got)).toBe(want.path);
      expect(got.location.file).toBe('recipe.yaml');
      for (const fragment of want.has) expect(got.message, brief(got)).toContain(fragment);
    });
  });
});
