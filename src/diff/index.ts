/** The change report between two output folders (`assetgen diff`). Re-exports only. */
export { compareManifests, hasChanges } from './compare-manifests.js';
export { type OutputFolder, readOutputFolder } from './read-output.js';
export { escapeHtml, type HtmlReportInput, renderHtml } from './render-html.js';
export { escapeMarkdown, MARKDOWN_TITLE, type MarkdownOptions, renderMarkdown } from './render-markdown.js';
export {
  type ChangeReport,
  type ChangeReportOptions,
  createChangeReport,
  DEFAULT_REPORT_DIR,
  REPORT_FILE,
} from './report.js';
export type * from './types.js';
export { describeCost, formatScore, summarizeReasons } from './wording.js';
