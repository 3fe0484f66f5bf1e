/**
 * The mark an offline placeholder carries in its own file (an XMP packet): what it was drawn from. An
 * offline upscale of a placeholder draws it again at the new size — a synthetic picture gains nothing
 * from a super-resolution network, and the redrawn one is sharp and costs milliseconds. The mark lives
 * only in the model step's result (the cache); files written to the output folder get their own XMP.
 */
import type { PlaceholderSpec } from './placeholder.js';

const NS = 'https://assetgen.dev/ns/placeholder/1.0/';
const FORMAT_VERSION = 1;

/** The XMP packet that marks a placeholder drawn from `spec`. */
export function placeholderMarkXmp(spec: PlaceholderSpec): string {
  const json = JSON.stringify({ v: FORMAT_VERSION, ...spec });
  const value = Buffer.from(json, 'utf8').toString('base64');
  return (
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>\n' +
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n' +
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n' +
    `  <rdf:Description rdf:about="" xmlns:agph="${NS}" agph:drawing="${value}"/>\n` +
    ' </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="r"?>'
  );
}

/** The spec a placeholder's mark holds, when `xmp` is one this version can redraw from. */
export function readPlaceholderMark(xmp: string | undefined): PlaceholderSpec | undefined {
  if (xmp === undefined || !xmp.includes(NS)) return undefined;
  const value = /\sagph:drawing="([A-Za-z0-9+/=]*)"/.exec(xmp)?.[1];
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  const spec = parsed as Partial<PlaceholderSpec> & { v?: unknown };
  const positive = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0;
  if (
    spec.v !== FORMAT_VERSION ||
    typeof spec.prompt !== 'string' ||
    !Number.isInteger(spec.seed) ||
    !positive(spec.width) ||
    !positive(spec.height) ||
    typeof spec.label !== 'string'
  ) {
    return undefined;
  }
  return {
    prompt: spec.prompt,
    seed: spec.seed as number,
    width: spec.width,
    height: spec.height,
    label: spec.label,
  };
}
