/**
 * What `--help` shows after each command's options: examples and the exit codes (see exit-codes.ts).
 * Plain data, so that `assetgen --help` stays fast.
 */
import type { Command } from 'commander';

interface CommandHelp {
  examples: readonly (readonly [command: string, what: string])[];
  /** Exit codes this command can return, with their meaning here. */
  exits: readonly (readonly [code: number, meaning: string])[];
}

const INVALID = [2, 'invalid recipe or usage: nothing was run, nothing written'] as const;

const HELP: Readonly<Record<string, CommandHelp>> = {
  validate: {
    examples: [
      ['assetgen validate recipes/*.yaml', 'check every recipe; all problems at once, with file:line:column'],
      [
        'assetgen validate recipes/*.yaml --cache s3://bucket/prefix',
        'CI, no token: models’ schemas from the shared cache (put there by models add)',
      ],
    ],
    exits: [[0, 'every recipe is valid'], INVALID],
  },
  plan: {
    examples: [
      ['assetgen plan recipes/*.yaml', 'assets, tasks per model, cached tasks and the estimated cost'],
      [
        'assetgen plan recipes/heroes.yaml --json --provider replicate',
        'the same as JSON lines (assetgen schema events), priced for Replicate',
      ],
    ],
    exits: [
      [0, 'planned'],
      INVALID,
      [
        3,
        'with a token, the estimate is over a budget (recipe budget.max_usd or --max-cost); offline a warning',
      ],
    ],
  },
  run: {
    examples: [
      ['assetgen run recipes/*.yaml', 'offline without REPLICATE_API_TOKEN, on Replicate with it'],
      ['assetgen run recipes/*.yaml --provider local', 'placeholders on purpose (in CI, auto refuses them)'],
      ['assetgen run recipes/*.yaml --json > events.ndjson', 'one JSON object per event; the last a summary'],
      ['assetgen run recipes/shop.yaml --max-cost 0.50 -o dist/img', 'cap the spend, write elsewhere'],
      ['assetgen run recipes/*.yaml --frozen', 'CI: restore from the cache, never start a paid task'],
      ['assetgen run recipes/shop.yaml --force mug', 're-make one asset despite the cache'],
      ['assetgen run recipes/*.yaml --review', 'then write the review page (.assetgen/review/index.html)'],
      ['assetgen run recipes/heroes.yaml --prune', 'then remove the files the manifest no longer lists'],
      ['assetgen run recipes/*.yaml --shard 2/4', 'CI matrix: shard 2 of 4 (then assetgen merge)'],
    ],
    exits: [
      [0, 'every asset was made'],
      [1, 'at least one asset failed (the others were made), or --frozen would need a paid task'],
      [2, 'invalid recipe or usage, or CI set without REPLICATE_API_TOKEN (provider auto): nothing was run'],
      [3, 'over budget: nothing was run'],
      [130, 'interrupted (Ctrl-C): files already written stay valid'],
    ],
  },
  check: {
    examples: [
      ['assetgen check recipes/*.yaml', 'CI: prove the cache and lock match the recipes'],
      ['assetgen check recipes/*.yaml --shard 2/4', 'only shard 2 of 4'],
    ],
    exits: [[0, 'everything is in the cache'], [1, 'some paid task would have to run (named)'], INVALID],
  },
  merge: {
    examples: [
      ['assetgen merge', 'the parts of run --shard i/n in output/ → output/manifest.json and the lock'],
      ['assetgen merge --out dist/img --lock recipes/assetgen.lock', 'another folder, another lock'],
    ],
    exits: [
      [0, 'merged: manifest.json and the lock written, the parts removed'],
      [
        2,
        'a part is missing, or the parts are not of one run (count, recipe text, assetgen): nothing written',
      ],
    ],
  },
  update: {
    examples: [
      ['assetgen update recipes/*.yaml', 'move every pinned community model to its latest version'],
      ['assetgen update recipes/*.yaml --model nightmareai/real-esrgan', 'only this model'],
    ],
    exits: [[0, 'the lock is up to date'], [1, 'a version could not be looked up'], INVALID],
  },
  cache: {
    examples: [
      ['assetgen cache ls', 'what the cache holds and what it cost'],
      ['assetgen cache gc', 'drop files that nothing refers to'],
    ],
    exits: [
      [0, 'done'],
      [2, 'unknown action'],
    ],
  },
  schema: {
    examples: [
      ['assetgen schema > recipe.schema.json', 'the recipe schema, for editors'],
      ['assetgen schema manifest', 'the schema of output/manifest.json'],
      ['assetgen schema events', 'the schema of every --json line'],
    ],
    exits: [
      [0, 'printed'],
      [2, 'unknown schema name'],
    ],
  },
  inspect: {
    examples: [
      ['assetgen inspect output/hero.webp', 'the AI label and the recipe, asset and steps behind a file'],
      ['assetgen inspect output/hero.png --json', 'the same as JSON'],
    ],
    exits: [
      [0, 'printed (also when the file has no provenance)'],
      [2, 'the file is missing or is not an image'],
    ],
  },
  review: {
    examples: [
      ['assetgen review', 'every variant side by side → .assetgen/review/index.html (open it in a browser)'],
      ['assetgen review -o dist/img --to review', 'the page of another output folder, written elsewhere'],
    ],
    exits: [
      [0, 'written'],
      [2, 'no manifest in the output folder, or it cannot be read'],
    ],
  },
  diff: {
    examples: [
      [
        'assetgen diff base/output output',
        'what changed and why, with thumbnails → .assetgen/diff/index.html',
      ],
      [
        'assetgen diff base/output output --markdown - --fail-on-change',
        'a PR comment on stdout; exit 1 on change',
      ],
    ],
    exits: [
      [0, 'compared (or, with --fail-on-change, nothing changed)'],
      [1, '--fail-on-change and some asset was added, removed or changed'],
      [2, 'a folder has no manifest, or it cannot be read'],
    ],
  },
  models: {
    examples: [['assetgen models --json', 'the catalog as JSON: kinds, prices, offline stand-ins']],
    exits: [
      [0, 'printed'],
      [2, 'unknown option'],
    ],
  },
  pick: {
    examples: [
      ['assetgen pick recipes/blog-heroes.yaml launch seed=42', 'from now on, launch makes only seed 42'],
      ["assetgen pick recipes/icons.yaml app 'style=ink wash' seed=7", 'quote values with spaces'],
      ['assetgen pick recipes/blog-heroes.yaml launch --clear', 'every variant again'],
    ],
    exits: [
      [0, 'the recipe now picks it (or already did)'],
      [2, 'unknown asset, variant or value (with a suggestion), or an invalid recipe: the file is untouched'],
    ],
  },
  dev: {
    examples: [
      [
        'assetgen dev recipes/icons.yaml',
        'offline: re-run on every save, the page at http://127.0.0.1:4380/',
      ],
      [
        'assetgen dev recipes/*.yaml --provider replicate',
        'on Replicate: each change shows its cost and waits for y (or Run it in the page)',
      ],
      [
        'assetgen dev recipes/heroes.yaml --provider replicate --yes --max-cost 0.50',
        'no questions, never more than $0.50 in the whole session',
      ],
      [
        'assetgen dev recipes/*.yaml --cache s3://bucket/prefix',
        'through the shared cache: what CI or a teammate made is restored, what you make is shared',
      ],
    ],
    exits: [
      [0, 'stopped with Ctrl-C (invalid recipes and failed assets show in the page; they do not end it)'],
      [
        2,
        'usage: --yes without --max-cost, --provider replicate without REPLICATE_API_TOKEN, the --port in use, a --cache it cannot use',
      ],
      [130, 'Ctrl-C twice: exited at once'],
    ],
  },
  init: {
    examples: [
      ['assetgen init', 'a starter recipe, .gitignore lines and a CI workflow in this folder'],
      ['assetgen init site', 'the same in ./site'],
    ],
    exits: [
      [0, 'written (existing files are kept, never overwritten)'],
      [2, 'the folder cannot be used'],
    ],
  },
};

const GENERAL: CommandHelp = {
  examples: [
    ['assetgen init', 'start: a starter recipe, .gitignore lines, a CI workflow'],
    ['assetgen run recipes/*.yaml', 'make the assets (offline until REPLICATE_API_TOKEN is set)'],
    ['assetgen <command> --help', 'examples and exit codes of one command'],
  ],
  exits: [
    [0, 'success'],
    [1, 'an asset failed'],
    [2, 'invalid recipe or usage'],
    [3, 'over budget'],
    [130, 'interrupted'],
  ],
};

export function helpText(help: CommandHelp): string {
  const width = Math.max(...help.examples.map(([command]) => command.length));
  const codeWidth = Math.max(...help.exits.map(([code]) => String(code).length));
  return [
    '',
    'Examples:',
    ...help.examples.map(([command, what]) => `  $ ${command.padEnd(width)}  # ${what}`),
    '',
    'Exit codes:',
    ...help.exits.map(([code, meaning]) => `  ${String(code).padStart(codeWidth)}  ${meaning}`),
  ].join('\n');
}

/** Adds examples and exit codes to the program's and every command's `--help`. */
export function addHelpTexts(program: Command): void {
  program.addHelpText('after', helpText(GENERAL));
  for (const command of program.commands) {
    const help = HELP[command.name()] ?? {
      examples: [[`assetgen ${command.name()} --help`, command.description()]],
      exits: GENERAL.exits,
    };
    command.addHelpText('after', helpText(help));
  }
}

/** Commands that have their own examples (a test checks every command is among them). */
export const COMMANDS_WITH_HELP: readonly string[] = Object.keys(HELP);
