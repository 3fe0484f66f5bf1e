/**
 * GitHub Actions without glue: with GITHUB_ACTIONS=true the CLI prints workflow commands — each recipe
 * problem and each failed asset an `::error` at its line in the recipe (path relative to the workspace,
 * escaped by the runner's rules), warnings as `::warning` — and appends a Markdown job summary to
 * $GITHUB_STEP_SUMMARY. Checked line by line, exactly; failures come from the fake Replicate.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatAnnotation } from '../../src/cli/github/workflow-commands.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { runCli } from '../helpers/cli.js';
import { parseJsonLines } from '../helpers/json-lines.js';

const TOKEN = 'r8_github-actions-test-token-0123456789';
const recipesDir = resolve(import.meta.dirname, '../../recipes');
/** A file name that needs escaping in a property (`,` and `:`). */
const BAD = 'bad,v1:draft.yaml';

const INVALID = `name: bad
assets:
  - id: mug
steps:
  - id: up
    model: nightmareai/real-esrgan
    input: { scale: 20 }
outputs:
  - path: "{{ id }}.png"
    fromat: png
`;

const annotations = (err: string): string[] => err.split('\n').filter((line) => line.startsWith('::'));
/** The message part of a workflow command, escaped independently of the code under test. */
const data = (text: string): string =>
  text.split('%').join('%25').split('\r').join('%0D').split('\n').join('%0A');

describe('GitHub Actions: annotations and the job summary', () => {
  let dir: string;
  let fake: FakeReplicate;
  let summaryFile: string;
  const gh = (extra: Record<string, string> = {}) => ({
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: dir,
    GITHUB_STEP_SUMMARY: summaryFile,
    ...extra,
  });
  const paid = () => gh({ REPLICATE_API_TOKEN: TOKEN, REPLICATE_API_BASE_URL: fake.baseUrl });
  const cli = (args: string[], env: Record<string, string>) => runCli(args, { cwd: dir, env });
  const takeSummary = async () => {
    const text = await readFile(summaryFile, 'utf8');
    await writeFile(summaryFile, '');
    return text;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-gh-'));
    await mkdir(join(dir, 'recipes'));
    await cp(join(recipesDir, 'product-shots.yaml'), join(dir, 'recipes', 'product-shots.yaml'));
    await writeFile(join(dir, 'recipes', BAD), INVALID);
    summaryFile = join(dir, 'step-summary.md');
    await writeFile(summaryFile, '');
    fake = await startFakeReplicate({ token: TOKEN, behaviour: { runMs: 10 } });
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('escapes data and properties by the runner’s rules', () => {
    expect(
      formatAnnotation({
        level: 'error',
        file: 'a,b:c.yaml',
        line: 3,
        col: 7,
        title: '50%: done, mostly',
        message: '100% sure:\r\nnext, line',
      }),
    ).toBe(
      '::error file=a%2Cb%3Ac.yaml,line=3,col=7,title=50%25%3A done%2C mostly::100%25 sure:%0D%0Anext, line',
    );
    expect(formatAnnotation({ level: 'warning', message: 'plain' })).toBe('::warning::plain');
  });

  it('each recipe problem is an ::error at its file, line and column; the summary lists them', async () => {
    const result = await cli(['validate', `recipes/${BAD}`], gh());
    expect(result.code).toBe(2);
    const file = 'file=recipes/bad%2Cv1%3Adraft.yaml';
    expect(annotations(result.err)).toEqual([
      `::error ${file},line=7,col=12,title=assetgen%3A invalid recipe::steps[0].input: missing required input "image": nightmareai/real-esrgan needs an input image and no earlier step makes one (set input.image to a file or URL, or put an image-making step before it)`,
      `::error ${file},line=7,col=21,title=assetgen%3A invalid recipe::steps[0].input.scale: must be <= 10 (nightmareai/real-esrgan accepts 0 to 10)`,
      `::error ${file},line=10,col=5,title=assetgen%3A invalid recipe::outputs[0].fromat: unknown key "fromat" (did you mean "format"?)`,
    ]);
    // The plain lines stay for people reading the raw log.
    expect(result.err).toMatch(/bad,v1:draft\.yaml:7:21 {2}steps\[0\]\.input\.scale/);
    const summary = await takeSummary();
    expect(summary).toContain('### ❌ assetgen validate: invalid, 3 problems');
    expect(summary).toContain(
      '| recipes/bad,v1:draft.yaml:7:21 | `steps[0].input.scale` | must be &lt;= 10 (nightmareai/real-esrgan accepts 0 to 10) |',
    );
  });

  it('offline, a budget the Replicate estimate exceeds is a ::warning at the recipe’s budget line', async () => {
    const recipe = join(dir, 'recipes', 'tight.yaml');
    const text = await readFile(join(dir, 'recipes', 'product-shots.yaml'), 'utf8');
    await writeFile(
      recipe,
      text.replace('name: product-shots', 'name: tight').replace('max_usd: 0.50', 'max_usd: 0.01'),
    );
    const plan = await cli(['plan', 'recipes/tight.yaml', '--cache-dir', 'tight-cache'], gh());
    expect(plan.code).toBe(0);
    expect(annotations(plan.err)).toEqual([
      '::warning file=recipes/tight.yaml,line=8,col=20,title=assetgen plan::the Replicate estimate $0.0124 exceeds recipe tight (budget.max_usd) $0.01: with REPLICATE_API_TOKEN set this run would be refused (exit 3); offline nothing is spent',
    ]);
    const summary = await takeSummary();
    expect(summary).toContain('### ✅ assetgen plan: ok');
    expect(summary).toContain('| recipe `tight` | $0.01 | $0.0124 | **exceeded** |');
  });

  it('a failed asset is an ::error at its line in the recipe; the job summary has counts, cost and reasons', async () => {
    fake.setModelBehaviour('black-forest-labs/flux-schnell', {
      runMs: 10,
      failure: {
        when: (input) => String(input.prompt).includes('lamp'),
        error: 'CUDA out of memory: 100% of 24 GiB in use,\nretry on a larger GPU',
      },
    });
    // --json as well: the annotations go to stderr, stdout stays JSON.
    const run = await cli(['run', 'recipes/product-shots.yaml', '--json'], paid());
    expect(run.code).toBe(1);
    const summaryLine = parseJsonLines(run.out).at(-1) as unknown as { failures: Array<{ error: string }> };
    const error = summaryLine.failures[0]?.error ?? '';
    expect(error).toContain('100% of 24 GiB in use,\nretry');
    expect(annotations(run.err)).toEqual([
      `::error file=recipes/product-shots.yaml,line=14,col=5,title=assetgen run%3A product-shots/lamp failed::${data(error)}`,
    ]);
    expect(annotations(run.err)[0]).toContain('100%25 of 24 GiB in use,%0Aretry');
    const summary = await takeSummary();
    expect(summary).toContain('### ❌ assetgen run: 1 asset not made');
    expect(summary).toMatch(/\| 2 \| 0 \| 1 \| 0 \| \$0\.00\d+ \| \$0\.0124 \| \$0\.0124 \|/);
    expect(summary).toContain('| recipe `product-shots` | $0.5 | $0.0124 | within |');
    expect(summary).toContain('**Failed assets** (1)');
    expect(summary).toContain('| `product-shots/lamp` | recipes/product-shots.yaml:14 | replicate: ');
    expect(summary).toContain('100% of 24 GiB in use,<br>retry on a larger GPU');
    expect(summary).not.toContain(TOKEN);
  });

  it('--frozen: what would have to run is annotated and listed; nothing is created', async () => {
    fake.setModelBehaviour('black-forest-labs/flux-schnell', { runMs: 10 });
    fake.resetCounts();
    const frozen = await cli(['run', 'recipes/product-shots.yaml', '--frozen'], paid());
    expect(frozen.code).toBe(1);
    expect(fake.counts.create).toBe(0);
    expect(annotations(frozen.err)).toEqual([
      '::error file=recipes/product-shots.yaml,line=14,col=5,title=assetgen frozen%3A product-shots/lamp not restored::--frozen: product-shots/lamp step draft would start a paid task: not in the lock (a new asset or step)',
    ]);
    const summary = await takeSummary();
    expect(summary).toContain('### ❌ assetgen run --frozen: 1 asset would have to run or failed');
    expect(summary).toContain(
      '**Would have to run or failed (`--frozen`: nothing was created or written)** (1)',
    );
    expect(summary).toContain(
      '| `product-shots/lamp` | recipes/product-shots.yaml:14 | --frozen: product-shots/lamp step draft would start a paid task: not in the lock (a new asset or step) |',
    );
  });

  it('a budget refusal with a token is an ::error at the budget; outside GitHub nothing of this is printed', async () => {
    const over = await cli(['run', 'recipes/product-shots.yaml', '--max-cost', '0.001'], paid());
    expect(over.code).toBe(3);
    // Only the lamp's chain is left to run (the others are cached from the run above).
    expect(annotations(over.err)).toEqual([
      '::error title=assetgen run%3A over budget::estimated cost $0.00413 exceeds --max-cost $0.001; nothing was run (raise the budget or reduce the plan)',
    ]);
    expect(await takeSummary()).toContain('### ❌ assetgen run: over budget, nothing was run');
    const tight = await cli(['run', 'recipes/tight.yaml'], paid());
    expect(tight.code).toBe(3);
    expect(annotations(tight.err)).toEqual([
      '::error file=recipes/tight.yaml,line=8,col=20,title=assetgen run%3A over budget::estimated cost $0.0124 exceeds recipe tight (budget.max_usd) $0.01; nothing was run (raise the budget or reduce the plan)',
    ]);
    await takeSummary();
    const plain = await cli(['validate', `recipes/${BAD}`], { GITHUB_STEP_SUMMARY: summaryFile });
    expect(plain.code).toBe(2);
    expect(annotations(plain.err)).toEqual([]);
    expect(await readFile(summaryFile, 'utf8')).toBe('');
  });
});
