/**
 * Two output folders made by the CLI offline, as a pull request would make them: `base` from one set of
 * recipes, `head` from a copy in which one asset's prompt and another recipe's post-processing changed,
 * one asset was added and one removed. The recipes sit in separate folders, like two checkouts.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

/** Text that must come out escaped everywhere (HTML, Markdown): markup, a mention, a table pipe. */
export const HOSTILE =
  'a red enamel mug <img src=x onerror=alert(1)> @octocat | *bold* [link](https://example.com)';

const shop = (assets: string) => `name: shop
output: shop
assets:
${assets}
steps:
  - id: draft
    model: black-forest-labs/flux-schnell
    input:
      prompt: "{{ subject }}, studio light"
      aspect_ratio: "1:1"
      megapixels: "0.25"
  - id: tidy
    image:
      - resize: { width: 192, height: 192 }
outputs:
  - path: "{{ id }}.png"
`;

const banners = (operations: string) => `name: banners
output: banners
assets:
  - id: hero
    topic: a lighthouse on a cliff
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input:
      prompt: "{{ topic }}"
      aspect_ratio: "16:9"
      megapixels: "0.25"
  - id: brand
    image:
${operations}
outputs:
  - path: "{{ id }}-{{ width }}w.webp"
    widths: [160, 320]
`;

export interface DiffFixture {
  dir: string;
  base: string;
  head: string;
}

export async function makeDiffFixture(): Promise<DiffFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'assetgen-diff-'));
  const write = async (folder: string, files: Record<string, string>) => {
    await mkdir(join(dir, folder), { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, folder, name), text);
  };
  await write('base-recipes', {
    'shop.yaml': shop(`  - { id: mug, subject: a glazed ceramic coffee mug }
  - { id: lamp, subject: a brass desk lamp }
  - { id: sneaker, subject: a white canvas sneaker }`),
    'banners.yaml': banners('      - modulate: { brightness: 1 }'),
  });
  await write('head-recipes', {
    'shop.yaml': shop(`  - { id: mug, subject: ${JSON.stringify(HOSTILE)} }
  - { id: lamp, subject: a brass desk lamp }
  - { id: vase, subject: a tall blue glass vase }`),
    'banners.yaml': banners('      - modulate: { brightness: 0.4 }'),
  });
  for (const side of ['base', 'head']) {
    const result = await runCli(
      [
        'run',
        `${side}-recipes/shop.yaml`,
        `${side}-recipes/banners.yaml`,
        '--provider',
        'local',
        '--out',
        side,
      ],
      { cwd: dir },
    );
    if (result.code !== 0) throw new Error(`the ${side} run failed (${result.code}):\n${result.err}`);
  }
  return { dir, base: 'base', head: 'head' };
}
