/** What `assetgen init` writes: a starter recipe, the .gitignore lines and a GitHub Actions workflow. */

export const STARTER_RECIPE = 'recipes/starter.yaml';
export const WORKFLOW = '.github/workflows/assets.yml';
export const GITIGNORE = '.gitignore';

/** The starter recipe; `schemaRef` is the schema's path relative to the recipe's folder. */
export function starterRecipe(schemaRef: string): string {
  return `# yaml-language-server: $schema=${schemaRef}
#
# A starter recipe from \`assetgen init\`. Without REPLICATE_API_TOKEN it runs offline (placeholder
# pictures, no cost, no network):
#   npx assetgen run recipes/starter.yaml        # → output/starter/… and output/manifest.json
#   npx assetgen plan recipes/starter.yaml       # what it would cost on Replicate
# Keep the variant you like with \`npx assetgen pick recipes/starter.yaml hero seed=2\`.
name: starter
output: starter # folder inside the output directory
budget: { max_usd: 0.05 } # refuse to run above this estimate
vars:
  style: flat illustration, soft colours, plain light backdrop
assets: # one entry per picture: an id plus any variables of your own
  - id: hero
    subject: a paper boat on calm water
  - id: badge
    subject: a smiling sun with round cheeks
variants: # every asset once per value
  seed: [1, 2]
steps:
  - id: art
    model: black-forest-labs/flux-schnell # $0.003 an image on Replicate
    input:
      prompt: "{{ subject }}, {{ style }}"
      aspect_ratio: "1:1"
      output_format: png
  - id: tidy
    image: # local post-processing (sharp)
      - trim: {} # cut the plain backdrop around the subject
      - extend: { all: 32, background: "#ffffff" }
outputs:
  - path: "{{ id }}/{{ id }}-{{ seed }}-{{ width }}w.webp"
    widths: [256, 512] # one file per width
    format: { webp: { quality: 82 } }
`;
}

/** Lines `.gitignore` needs; any of `IGNORED_FORMS` already there counts as present. */
export const GITIGNORE_LINES = [
  '# assetgen: result cache and review page (kept in CI by actions/cache)',
  '.assetgen/',
];
export const IGNORED_FORMS = [
  '.assetgen',
  '.assetgen/',
  '/.assetgen',
  '/.assetgen/',
  '.assetgen/*',
  '/.assetgen/*',
];

export const WORKFLOW_TEXT = `# From \`assetgen init\`: proves on every push that the recipes, assetgen.lock and the cached results
# agree. The check restores every output from the cache and never starts a paid task (--frozen): it fails,
# naming the asset and step, when a recipe changed but its images were not made yet.
#
# Making them spends money, so it happens only when asked: Actions → assets → "Run workflow" runs the
# generate step with the REPLICATE_API_TOKEN secret (Settings → Secrets → Actions) and saves the cache.
# Commit recipes/assetgen.lock after a run on Replicate.
name: assets

on:
  push:
  pull_request:
  workflow_dispatch:

jobs:
  assets:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
          cache: npm
      - run: npm ci # assetgen is a devDependency of this project
      - name: Restore the assetgen cache
        uses: actions/cache@v4
        with:
          path: .assetgen/cache
          key: assetgen-\${{ hashFiles('recipes/**') }}
          restore-keys: assetgen-
      - name: Generate (manual runs only; spends on Replicate)
        if: github.event_name == 'workflow_dispatch'
        run: npx assetgen run recipes/*.yaml
        env:
          REPLICATE_API_TOKEN: \${{ secrets.REPLICATE_API_TOKEN }}
      - name: Check the assets match the recipes (never spends)
        run: npx assetgen run recipes/*.yaml --frozen
      - uses: actions/upload-artifact@v4
        with:
          name: assets
          path: output/
`;
