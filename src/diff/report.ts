/**
 * `createChangeReport`: compares two output folders by their manifests and writes the report — a
 * self-contained `index.html` with its thumbnails in one folder, and optionally the Markdown summary.
 * What the `assetgen diff` command does, callable from code.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import { compareManifests, hasChanges } from './compare-manifests.js';
import { readOutputFolder } from './read-output.js';
import { GENERATOR_MARK, renderHtml } from './render-html.js';
import { type MarkdownOptions, renderMarkdown } from './render-markdown.js';
import type { AssetVisual, ManifestDiff } from './types.js';
import { makeVisuals } from './visuals.js';

export const DEFAULT_REPORT_DIR = '.assetgen/diff';
export const REPORT_FILE = 'index.html';

export interface ChangeReportOptions {
  base: string;
  head: string;
  /** The report's folder (default `.assetgen/diff`, relative to `cwd`). */
  to?: string;
  /** Also write the Markdown summary here (relative to `cwd`). */
  markdownFile?: string;
  markdown?: MarkdownOptions;
  cwd?: string;
  /** Pictures made at once (default: the number of CPUs). */
  concurrency?: number;
}

export interface ChangeReport {
  diff: ManifestDiff;
  visuals: ReadonlyMap<string, AssetVisual>;
  /** True when anything was added, removed or changed. */
  changed: boolean;
  htmlFile: string;
  markdown: string;
  markdownFile?: string;
}

/** A relative URL from one folder to a file, each segment percent-encoded. */
export function relativeHref(fromDir: string, file: string): string {
  return relative(fromDir, file)
    .split(sep)
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

/** An index.html that an earlier report did not write is someone's page: never overwritten. */
async function refuseForeignPage(file: string): Promise<void> {
  let existing: string;
  try {
    existing = await readFile(file, 'utf8');
  } catch {
    return;
  }
  if (!existing.includes(GENERATOR_MARK)) {
    throw new UsageError(
      `${file} exists and is not an assetgen change report; choose another folder with --to (nothing was written)`,
    );
  }
}

export async function createChangeReport(options: ChangeReportOptions): Promise<ChangeReport> {
  const cwd = options.cwd ?? process.cwd();
  const baseDir = resolve(cwd, options.base);
  const headDir = resolve(cwd, options.head);
  const reportDir = resolve(cwd, options.to ?? DEFAULT_REPORT_DIR);
  // Both folders are checked before anything is written.
  const [base, head] = await Promise.all([
    readOutputFolder(baseDir, 'base'),
    readOutputFolder(headDir, 'head'),
  ]);
  const htmlFile = join(reportDir, REPORT_FILE);
  await refuseForeignPage(htmlFile);
  const diff = compareManifests(base.manifest, head.manifest);
  await mkdir(reportDir, { recursive: true });
  const visuals = await makeVisuals(diff, {
    baseDir,
    headDir,
    reportDir,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
  const html = renderHtml({
    diff,
    visuals,
    baseName: options.base,
    headName: options.head,
    originalHref: (side, path) => relativeHref(reportDir, join(side === 'base' ? baseDir : headDir, path)),
  });
  await writeFileAtomic(htmlFile, html, { durable: false });
  const markdown = renderMarkdown(diff, visuals, options.markdown);
  let markdownFile: string | undefined;
  if (options.markdownFile !== undefined) {
    markdownFile = resolve(cwd, options.markdownFile);
    await writeFileAtomic(markdownFile, markdown, { durable: false });
  }
  return {
    diff,
    visuals,
    changed: hasChanges(diff),
    htmlFile,
    markdown,
    ...(markdownFile === undefined ? {} : { markdownFile }),
  };
}
