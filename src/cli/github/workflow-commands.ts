/**
 * GitHub Actions workflow commands (`::error file=…,line=…::message`), written by hand: the runner reads
 * them from stdout and stderr alike, so the CLI prints them on stderr and stdout stays free for `--json`.
 * Escaping follows the runner's rules: in the message `%`, CR and LF; in properties also `:` and `,`.
 */

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  title?: string;
  /** Relative to the workspace, with `/` separators. */
  file?: string;
  line?: number;
  col?: number;
}

const escapeData = (text: string): string =>
  text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

const escapeProperty = (text: string): string => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function formatAnnotation(annotation: Annotation): string {
  const { level, message, ...rest } = annotation;
  const properties = (['file', 'line', 'col', 'title'] as const)
    .filter((name) => rest[name] !== undefined)
    .map((name) => `${name}=${escapeProperty(String(rest[name]))}`);
  return `::${level}${properties.length > 0 ? ` ${properties.join(',')}` : ''}::${escapeData(message)}`;
}
