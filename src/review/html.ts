/**
 * HTML building blocks for the review page: escaping of text and attribute values, and relative links
 * that work from `file://` and over HTTP alike. Everything the page shows from a manifest goes through
 * `text()` or `attr()`; nothing is inserted raw.
 */
import { relative, sep } from 'node:path';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text content: `<`, `>`, `&` and quotes as entities. */
export function text(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** A double-quoted attribute value (the quotes included). */
export function attr(value: string | number): string {
  return `"${text(value)}"`;
}

/** A relative URL from the page's folder to a file, each segment percent-encoded (`#`, `?`, spaces …). */
export function relativeUrl(pageDir: string, file: string): string {
  return relative(pageDir, file)
    .split(sep)
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

/** `1.2 MB`, `340 KB`, `812 B`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(bytes < 10_000 ? 1 : 0)} KB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}
