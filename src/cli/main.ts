/**
 * The CLI entry: parses argv (commander), runs one command, prints errors and returns the exit code.
 * The only place that reads argv/env; commands are loaded lazily so `--help` stays fast.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { AssetgenError, formatProblem, PreflightError, RecipeError } from '../errors.js';
import { VERSION } from '../version.js';
import { type CommandName, type CommandOutput, createCommandOutput } from './command-output.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { formatAnnotation } from './github/workflow-commands.js';
import { addHelpTexts } from './help-texts.js';
import { writeUsageFailure } from './json-lines.js';
import { collectFolder, httpUrl, port, shard } from './option-parsers.js';
import { type CliIO, processIO, secretsOf } from './output.js';

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('expected a positive integer');
  return number;
}

function nonNegativeNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new InvalidArgumentError('expected a number >= 0 (USD)');
  return number;
}

const SHARD_HELP =
  'run only shard i of n (1-based): the assets whose stable key falls in it, with recipe budgets ÷ n; writes manifest.shard-i-of-n.json (then assetgen merge)';

function reportError(error: unknown, io: CliIO, verbose: boolean): number {
  if (error instanceof RecipeError) {
    for (const problem of error.problems) io.err(formatProblem(problem));
    io.err(
      `${error.problems.length} problem${error.problems.length === 1 ? '' : 's'} found; nothing was run.`,
    );
  } else if (error instanceof PreflightError) {
    for (const failure of error.failures) io.err(`error: ${failure.message}`);
    io.err('nothing was run: the run could not write there.');
  } else if (error instanceof AssetgenError) {
    io.err(`error: ${error.message}`);
  } else {
    io.err(
      `error: ${error instanceof Error ? error.message : String(error)} (this is a bug in assetgen, please report it)`,
    );
  }
  if (verbose && error instanceof Error && error.stack) io.err(error.stack);
  return exitCodeFor(error);
}

const MACHINE_COMMANDS: readonly string[] = ['validate', 'plan', 'run', 'check'];

/** An argv error of a command whose output machines read: its JSON lines and annotation too. */
function reportArgvError(argv: readonly string[], message: string, io: CliIO): void {
  const command = argv[0];
  if (command === undefined || !MACHINE_COMMANDS.includes(command)) return;
  const name = command as CommandName;
  const text = message.replace(/^error: /, '');
  if (argv.includes('--json')) writeUsageFailure(io, name, text);
  if (io.env.GITHUB_ACTIONS === 'true')
    io.err(formatAnnotation({ level: 'error', title: `assetgen ${name}`, message: text }));
}

export async function main(
  argv: readonly string[],
  io: CliIO = processIO(() => secretsOf(process.env)),
): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('assetgen')
    .description('Declarative batch image asset generator: YAML recipes → models → sharp → files + manifest')
    .version(VERSION, '-V, --version')
    .option('--verbose', 'print stack traces of errors')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    })
    .showHelpAfterError('(run assetgen --help for usage)');

  const recipeLimits = (command: Command): Command =>
    command
      .option(
        '--max-instances <n>',
        'most asset × variant instances per recipe (default: limits.max_instances, else 10000)',
        positiveInteger,
      )
      .option(
        '--allow-root <dir>',
        'also read overlays and file inputs from this folder (repeatable; default: only the recipe’s folder)',
        collectFolder,
      )
      .option(
        '--profile <name>',
        'apply the recipes’ profile (profiles: in the recipe, e.g. draft); outputs go to <out>/<name>/',
      );

  /** Runs a command with its machine output (`--json`, GitHub Actions); errors are printed here. */
  const withOutput = async (
    command: CommandName,
    json: boolean | undefined,
    body: (output: CommandOutput) => Promise<number>,
  ): Promise<void> => {
    const output = createCommandOutput(io, { command, json: json === true });
    let code: number;
    try {
      code = await body(output);
    } catch (error) {
      output.failed(error);
      code = reportError(error, io, program.opts().verbose === true);
    }
    await output.finish(code);
    exitCode = code;
  };
  const jsonOption = () =>
    new Option('--json', 'one JSON object per line on stdout (assetgen schema events)');

  const providerOption = () =>
    new Option('--provider <name>', 'local (offline stand-ins) or replicate (needs REPLICATE_API_TOKEN)')
      .choices(['auto', 'local', 'replicate'])
      .default('auto');
  const cacheUrlOption = () =>
    new Option(
      '--cache <url>',
      'shared cache behind --cache-dir: s3://bucket/prefix (or ASSETGEN_CACHE; AWS_* variables)',
    );
  const localUpscalerOption = () =>
    new Option(
      '--local-upscaler <name>',
      'offline upscales: esrgan (a super-resolution network; default when installed) or lanczos (a fast resize)',
    ).choices(['esrgan', 'lanczos']);

  recipeLimits(
    program
      .command('validate')
      .description(
        'check recipes against the schema, every rule and each model’s input schema (exit 2 on problems); writes only fetched schemas into the cache',
      )
      .argument('<files...>', 'recipe files')
      .option('--cache-dir <dir>', 'cache folder (fetched model schemas)', '.assetgen/cache')
      .addOption(cacheUrlOption())
      .option('--lock <file>', 'lock file (default: assetgen.lock beside the first recipe)')
      .option('--base-url <url>', 'Replicate API base URL (or REPLICATE_API_BASE_URL)', httpUrl)
      .addOption(jsonOption()),
  ).action(async (files: string[], options) => {
    const { validateCommand } = await import('./commands/validate.js');
    await withOutput('validate', options.json, (output) => validateCommand(files, options, output));
  });

  const plan = program
    .command('plan')
    .description('show assets, tasks per model and the estimated cost, without running anything')
    .argument('<files...>', 'recipe files')
    .addOption(jsonOption())
    .addOption(providerOption())
    .addOption(localUpscalerOption())
    .option('--max-cost <usd>', 'budget in USD (overrides the recipes)', nonNegativeNumber)
    .option('--cache-dir <dir>', 'cache folder', '.assetgen/cache')
    .addOption(cacheUrlOption())
    .option('--lock <file>', 'lock file (default: assetgen.lock beside the first recipe)')
    .option('--shard <i/n>', SHARD_HELP, shard);
  recipeLimits(plan).action(async (files: string[], options) => {
    const { planCommand } = await import('./commands/plan.js');
    await withOutput('plan', options.json, (output) => planCommand(files, options, output));
  });

  const run = program
    .command('run')
    .description('run recipes: generate, post-process, write files and manifest.json')
    .argument('<files...>', 'recipe files')
    .option('-o, --out <dir>', 'output directory', 'output')
    .addOption(providerOption())
    .option('-c, --concurrency <n>', 'paid tasks at once (default 8, or the recipe’s)', positiveInteger)
    .option('--local-concurrency <n>', 'local CPU tasks at once (default: CPUs)', positiveInteger)
    .addOption(localUpscalerOption())
    .option('--max-cost <usd>', 'budget in USD (overrides the recipes)', nonNegativeNumber)
    .option('--cache-dir <dir>', 'cache folder', '.assetgen/cache')
    .addOption(cacheUrlOption())
    .option('--force [assets...]', 're-run despite the cache: everything, or the given asset ids')
    .option('--frozen', 'CI: never start a paid task; restore from the cache or fail naming what changed')
    .option('--lock <file>', 'lock file (default: assetgen.lock beside the first recipe)')
    .option('--shard <i/n>', SHARD_HELP, shard)
    .option(
      '--rate <creates-per-minute>',
      'most prediction creates per minute (default: the account’s 600; with --shard ÷ n)',
      positiveInteger,
    )
    .option('--base-url <url>', 'Replicate API base URL (or REPLICATE_API_BASE_URL)', httpUrl)
    .option('--wait <seconds>', 'Prefer: wait window for creates, 1-60', positiveInteger)
    .option(
      '--step-timeout <seconds>',
      'time limit per model step (also sent as Cancel-After)',
      positiveInteger,
    )
    .option(
      '--webhook-url <url>',
      'public URL that forwards Replicate webhooks to the local listener',
      httpUrl,
    )
    .option('--webhook-port <port>', 'local port for the webhook listener (0: any free port)', port)
    .option('--webhook-host <host>', 'local address for the webhook listener', '127.0.0.1')
    .option('--quiet', 'print only the summary and errors')
    .option('--review', 'write the review page (.assetgen/review/index.html) at the end')
    .option(
      '--prune',
      'then remove stale outputs: files assetgen wrote into --out that the manifest no longer lists',
    )
    .option(
      '--c2pa-cert <pem>',
      'sign every output with a C2PA manifest: the certificate chain, signer first (or ASSETGEN_C2PA_CERT)',
    )
    .option('--c2pa-key <pem>', 'the C2PA signer’s private key (or ASSETGEN_C2PA_KEY)')
    .addOption(jsonOption());
  recipeLimits(run).action(async (files: string[], options) => {
    const { runCommand } = await import('./commands/run.js');
    await withOutput('run', options.json, (output) => runCommand(files, options, output));
  });

  program
    .command('merge')
    .description(
      'put the parts of run --shard i/n together: manifest.shard-*.json and lock parts → manifest.json and the lock',
    )
    .option('-o, --out <dir>', 'output folder holding every shard’s outputs and parts', 'output')
    .option('--lock <file>', 'lock file to merge into (default: the one the shards used)')
    .action(async (options: { out: string; lock?: string }) => {
      const { mergeCommand } = await import('./commands/merge.js');
      exitCode = await mergeCommand(options, io);
    });

  program
    .command('review')
    .description(
      'write the review page of an output folder: every variant side by side, with how it was made',
    )
    .option('-o, --out <dir>', 'output directory (holds manifest.json)', 'output')
    .option('--to <dir>', 'folder for index.html and its thumbnails', '.assetgen/review')
    .option('--cache-dir <dir>', 'cache folder (step images)', '.assetgen/cache')
    .action(async (options) => {
      const { reviewCommand } = await import('./commands/review.js');
      exitCode = await reviewCommand(options, io);
    });

  const check = program
    .command('check')
    .description(
      'CI: prove the cache and lock match the recipes without spending or writing (like run --frozen)',
    )
    .argument('<files...>', 'recipe files')
    .addOption(providerOption())
    .addOption(localUpscalerOption())
    .option('--cache-dir <dir>', 'cache folder', '.assetgen/cache')
    .addOption(cacheUrlOption())
    .option('--lock <file>', 'lock file (default: assetgen.lock beside the first recipe)')
    .addOption(new Option('--prune').hideHelp()) // refused with a reason (check writes nothing)
    .option('--shard <i/n>', SHARD_HELP, shard)
    .addOption(jsonOption());
  recipeLimits(check).action(async (files: string[], options) => {
    const { runCommand } = await import('./commands/run.js');
    const verify = { ...options, out: '.', checkOnly: true, quiet: true };
    await withOutput('check', options.json, (output) => runCommand(files, verify, output));
  });

  const update = program
    .command('update')
    .description(
      'move the lock’s pins to the latest versions and schemas (all models, or --model) and show what changed',
    )
    .argument('<files...>', 'recipe files')
    .option('--model <owner/name...>', 'only these models')
    .option('--lock <file>', 'lock file (default: assetgen.lock beside the first recipe)')
    .option('--cache-dir <dir>', 'cache folder (fetched schemas)', '.assetgen/cache')
    .addOption(cacheUrlOption())
    .option('--base-url <url>', 'Replicate API base URL (or REPLICATE_API_BASE_URL)', httpUrl);
  recipeLimits(update).action(async (files: string[], options) => {
    const { updateCommand } = await import('./commands/update.js');
    exitCode = await updateCommand(files, options, io);
  });

  program
    .command('cache')
    .description('the result cache: ls (sizes), gc (drop unreferenced files), clear (empty it)')
    .argument('<action>', 'ls, gc or clear')
    .option('--cache-dir <dir>', 'cache folder', '.assetgen/cache')
    .action(async (action: string, options: { cacheDir: string }) => {
      const { cacheCommand } = await import('./commands/cache.js');
      exitCode = await cacheCommand(action, options, io);
    });

  program
    .command('schema')
    .description('print a JSON Schema: recipe, manifest or events (the --json lines)')
    .argument('[which]', 'recipe, manifest or events', 'recipe')
    .action(async (which: string) => {
      const { schemaCommand } = await import('./commands/schema.js');
      exitCode = await schemaCommand(which, io);
    });

  program
    .command('inspect')
    .description('print the provenance an image file embeds: AI label (IPTC), recipe, asset, steps')
    .argument('<file>', 'an image file (png, jpeg, webp, avif)')
    .option('--json', 'print as JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      const { inspectCommand } = await import('./commands/inspect.js');
      exitCode = await inspectCommand(file, options, io);
    });

  program
    .command('diff')
    .description(
      'compare two output folders by their manifests: an HTML change report and a Markdown summary',
    )
    .argument('<base-out>', 'output folder before (e.g. built from the base branch)')
    .argument('<head-out>', 'output folder after')
    .option('--to <dir>', 'report folder (index.html + thumbnails)', '.assetgen/diff')
    .option('--markdown <file>', 'also write a Markdown summary for a PR comment (- for stdout)')
    .option('--fail-on-change', 'exit 1 when any asset was added, removed or changed')
    .action(async (base: string, head: string, options) => {
      const { diffCommand } = await import('./commands/diff.js');
      exitCode = await diffCommand(base, head, options, io);
    });

  const models = program
    .command('models')
    .description('list the catalog: supported models, their kind, price and offline stand-in')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => {
      const { modelsCommand } = await import('./commands/models.js');
      exitCode = await modelsCommand(options, io);
    });
  models
    .command('add')
    .description(
      'fetch any Replicate model’s schema (owner/name[:version]) into the cache and pin it in the lock, so recipes using it validate offline',
    )
    .argument('<models...>', 'owner/name or owner/name:version')
    .option('--cache-dir <dir>', 'cache folder', '.assetgen/cache')
    .addOption(cacheUrlOption())
    .option('--lock <file>', 'lock file', 'assetgen.lock')
    .option('--official', 'the models are official (instead of asking Replicate)')
    .option('--base-url <url>', 'Replicate API base URL (or REPLICATE_API_BASE_URL)', httpUrl)
    .option('--json', 'print as JSON')
    .action(async (refs: string[], options) => {
      const { modelsAddCommand } = await import('./commands/models.js');
      exitCode = await modelsAddCommand(refs, options, io);
    });

  program
    .command('pick')
    .description(
      'pin an asset to one variant: writes pick: { name: value } into the recipe (--clear removes it)',
    )
    .argument('<recipe>', 'recipe file')
    .argument('<asset-id>', 'the asset')
    .argument('[values...]', 'name=value of the variant, e.g. seed=42 (quote values with spaces)')
    .option('--clear', 'remove the pick: every variant runs again')
    .action(async (recipe: string, asset: string, values: string[], options: { clear?: boolean }) => {
      const { pickCommand } = await import('./commands/pick.js');
      exitCode = await pickCommand(recipe, asset, values, options, io);
    });

  const dev = program
    .command('dev')
    .description(
      'watch recipes and the files they read: re-run on every save and serve the review page live on 127.0.0.1',
    )
    .argument('<files...>', 'recipe files')
    .option('-o, --out <dir>', 'output directory', 'output')
    .option('--cache-dir <dir>', 'cache folder', '.assetgen/cache')
    .addOption(cacheUrlOption())
    .option('--port <port>', 'port on 127.0.0.1 (default 4380, else any free one; 0: any free port)', port)
    .addOption(
      new Option(
        '--provider <name>',
        'local (offline, the default) or replicate (asks before each change spends)',
      )
        .choices(['local', 'replicate'])
        .default('local'),
    )
    .option(
      '--yes',
      'with --provider replicate: spend without asking, never past --max-cost (required with it)',
    )
    .option(
      '--max-cost <usd>',
      'the most this session may spend on Replicate, over all its runs',
      nonNegativeNumber,
    )
    .option('--base-url <url>', 'Replicate API base URL (or REPLICATE_API_BASE_URL)', httpUrl);
  recipeLimits(dev).action(async (files: string[], options) => {
    const { devCommand } = await import('./commands/dev.js');
    exitCode = await devCommand(files, options, io);
  });

  program
    .command('init')
    .description('start a project: a starter recipe, .gitignore lines and a CI workflow (never overwrites)')
    .argument('[dir]', 'project folder', '.')
    .action(async (dir: string) => {
      const { initCommand } = await import('./commands/init.js');
      exitCode = await initCommand(dir, io);
    });

  addHelpTexts(program);

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.ok;
      reportArgvError(argv, error.message, io);
      return EXIT.invalid;
    }
    return reportError(error, io, program.opts().verbose === true);
  }
}
