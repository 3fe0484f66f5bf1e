/**
 * The package as users get it: the project is built and packed (`npm pack`) in a staging copy (so the
 * repo's own dist/ is never rebuilt under other tests), the tarball is installed into a fresh project
 * with npm (`--prefer-offline`: the npm cache that `npm ci` filled serves it), and `assetgen` is imported
 * from plain JavaScript — an offline plan and run with the local provider — and from a TypeScript file
 * type-checked against dist/index.d.ts. Dev-only heavy packages stay out of the install.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const tsc = join(root, 'node_modules', '.bin', 'tsc');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const RECIPE = `name: badges
assets:
  - id: gold
    subject: a gold badge
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "{{ subject }}", megapixels: "0.25", aspect_ratio: "1:1" }
outputs:
  - path: "{{ id }}-{{ width }}.webp"
    widths: [48]
`;

const JS_CONSUMER = `import { planRecipes, readManifest, runRecipes, validateRecipes, VERSION } from 'assetgen';

const validation = await validateRecipes(['badges.yaml', 'nope.yaml']);
const plan = await planRecipes(['badges.yaml']);
const events = [];
const report = await runRecipes(['badges.yaml'], { out: 'out', onEvent: (event) => events.push(event.type) });
const manifest = await readManifest('out');
const vite = await import('assetgen/vite');
let deepImport = 'allowed';
try {
  await import('assetgen/dist/run/runner.js');
} catch (error) {
  deepImport = error.code;
}
console.log(JSON.stringify({
  version: VERSION,
  problems: validation.problems.map((p) => p.message),
  planned: plan.assets.map((a) => a.outputs),
  replicateUsd: plan.summary.replicateUsd,
  status: report.status,
  first: events[0],
  last: events.at(-1),
  outputs: manifest.recipes.badges.assets[0].outputs.map((o) => [o.path, o.width, o.format]),
  deepImport,
  vitePlugin: [typeof vite.assetgen, vite.default === vite.assetgen, vite.assetgen({ out: 'out' }).name],
}));
`;

const TS_CONSUMER = `import {
  type Manifest,
  type RunEvent,
  type RunReport,
  ManifestError,
  checkRecipes,
  readManifest,
  runRecipes,
  validateRecipes,
} from 'assetgen';

export async function build(signal: AbortSignal): Promise<RunReport> {
  const validation = await validateRecipes(['badges.yaml']);
  if (!validation.ok) throw new Error(validation.problems.map((p) => \`\${p.location.line}: \${p.message}\`).join());
  const onEvent = (event: RunEvent): void => {
    if (event.type === 'task-finished') console.log(event.task.asset, event.cached, event.actualUsd);
  };
  return runRecipes(['badges.yaml'], { out: 'out', signal, onEvent, replicate: { token: 't' } });
}

export async function widths(): Promise<number[]> {
  try {
    const manifest: Manifest = await readManifest('out');
    return Object.values(manifest.recipes).flatMap((r) => r.assets.flatMap((a) => a.outputs.map((o) => o.width)));
  } catch (error) {
    if (error instanceof ManifestError && error.code === 'MANIFEST_VERSION') return [];
    throw error;
  }
}

// The declarations are real types, not any: each line below must be an error.
// @ts-expect-error a provider that does not exist
await checkRecipes(['x.yaml'], { provider: 'dall-e' });
// @ts-expect-error concurrency is a number
await runRecipes(['x.yaml'], { concurrency: 'many' });
// @ts-expect-error the report has no such field
(await runRecipes([])).totalUsd;
`;

describe('npm package', () => {
  let dir: string;
  let app: string;
  let tarball: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-package-'));
    const stage = join(dir, 'stage');
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { files: string[] };
    await mkdir(stage);
    for (const entry of ['package.json', 'README.md', ...manifest.files.filter((file) => file !== 'dist')])
      await cp(join(root, entry), join(stage, entry), { recursive: true });
    await run(tsc, ['-p', join(root, 'tsconfig.build.json'), '--outDir', join(stage, 'dist')]);
    const packed = await run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: stage,
    });
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string }>;
    tarball = join(dir, info?.filename ?? '');
    app = join(dir, 'app');
    await mkdir(app);
    await writeFile(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', private: true, type: 'module' }),
    );
    await run(npm, ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
      cwd: app,
    });
    await writeFile(join(app, 'badges.yaml'), RECIPE);
  }, 180_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('packs the built library, its declarations, the schemas and the CLI — no sources or tests', async () => {
    const listing = await run('tar', ['-tzf', tarball]);
    const files = listing.stdout.split('\n').filter(Boolean);
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/schema/manifest.schema.json');
    expect(files).toContain('package/bin/assetgen.js');
    expect(files).toContain('package/dist/vite/index.js');
    expect(files).toContain('package/dist/vite/index.d.ts');
    expect(files).toContain('package/vite-client.d.ts');
    expect(files.filter((file) => /^package\/(src|test|bench)\//.test(file))).toEqual([]);
  });

  it('installs without the dev-only heavy parts (browser driver, bundler, type checker)', async () => {
    const installed = await readdir(join(app, 'node_modules'));
    expect(installed).toContain('assetgen');
    expect(installed).toContain('sharp');
    for (const heavy of ['playwright-core', 'vite', 'typescript', 'vitest', '@biomejs'])
      expect(installed).not.toContain(heavy);
  });

  it('imports from plain JavaScript and runs an offline plan and run with the local provider', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', JS_CONSUMER], { cwd: app });
    const result = JSON.parse(stdout);
    const own = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(result).toMatchObject({
      version: own.version,
      problems: ['no such file'],
      planned: [['badges/gold-48.webp']],
      status: 'ok',
      first: 'run-started',
      last: 'run-finished',
      outputs: [['badges/gold-48.webp', 48, 'webp']],
      deepImport: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      // The plugin loads without vite installed (vite is an optional peer, only a type in the plugin).
      vitePlugin: ['function', true, 'assetgen'],
    });
    expect(result.replicateUsd).toBeCloseTo(0.003, 9);
    expect((await readdir(join(app, 'out', 'badges'))).sort()).toEqual(['gold-48.webp']);
  });

  it('installs the CLI as a bin that runs from the package', async () => {
    const bin = join(app, 'node_modules', '.bin', 'assetgen');
    const { stdout } = await run(bin, ['validate', 'badges.yaml'], { cwd: app });
    expect(stdout).toMatch(/badges\.yaml: ok \(1 asset\)/);
  });

  it('init in the installed project points the starter recipe at node_modules/assetgen/schema, which exists', async () => {
    const bin = join(app, 'node_modules', '.bin', 'assetgen');
    const { stdout } = await run(bin, ['init', 'site'], { cwd: app });
    expect(stdout).toContain('$schema: ../../node_modules/assetgen/schema/recipe.schema.json');
    const recipe = await readFile(join(app, 'site', 'recipes', 'starter.yaml'), 'utf8');
    const ref = /\$schema=(\S+)/.exec(recipe)?.[1] ?? '';
    const schema = JSON.parse(await readFile(join(app, 'site', 'recipes', ref), 'utf8')) as { title: string };
    expect(schema.title).toBe('assetgen recipe');
    const validate = await run(bin, ['validate', 'site/recipes/starter.yaml'], { cwd: app });
    expect(validate.stdout).toMatch(/starter\.yaml: ok \(2 assets\)/);
  });

  it('type-checks a TypeScript consumer and the README examples (library, Vite plugin) against dist', async () => {
    await writeFile(join(app, 'consumer.ts'), TS_CONSUMER);
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const example = /## From code[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain("from 'assetgen'");
    await writeFile(join(app, 'readme-example.ts'), example ?? '');
    // The Vite plugin's two examples: the config, and an app file typed by assetgen/vite-client.
    const [viteConfig, viteApp] = [
      ...readme.matchAll(/### The Vite plugin[\s\S]*?```ts\n([\s\S]*?)```[\s\S]*?```ts\n([\s\S]*?)```/g),
    ].flatMap((match) => [match[1], match[2]]);
    expect(viteConfig).toContain("from 'assetgen/vite'");
    expect(viteApp).toContain("from 'assetgen:");
    await writeFile(join(app, 'vite.config.ts'), viteConfig ?? '');
    await writeFile(
      join(app, 'hero.ts'),
      `${viteApp}\nexport const size: number = hero.width + hero.height;\n// @ts-expect-error an import is an AssetgenImage, not any\nhero.nope;\n`,
    );
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          lib: ['ES2023', 'DOM'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          typeRoots: [join(root, 'node_modules', '@types')],
          types: ['node'],
          // vite is not installed with assetgen (an optional peer): the app's own would be; here, the repo's.
          paths: { vite: [join(root, 'node_modules', 'vite', 'dist', 'node', 'index.d.ts')] },
        },
        files: ['consumer.ts', 'readme-example.ts', 'vite.config.ts', 'hero.ts'],
      }),
    );
    const checked = await run(tsc, ['-p', join(app, 'tsconfig.json')], { cwd: app }).catch(
      (error: { stdout: string; code: number }) => error,
    );
    expect('code' in checked ? checked.stdout : '').toBe('');
  });
});
