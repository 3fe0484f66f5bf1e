/**
 * Provenance as XMP: the IPTC digital source type plus an assetgen record (recipe, asset, variant, steps,
 * generator version), serialised deterministically (no times, fixed order, every value XML-escaped) and
 * read back. Pure text: the image module embeds and extracts the packet.
 */

export type ProvenanceLevel = 'full' | 'ids' | 'label' | 'none';

export const IPTC_SOURCE_TYPES = {
  trained: 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia',
  composite: 'http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia',
  /** An offline placeholder: drawn by an algorithm, no trained model involved. */
  algorithmic: 'http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia',
} as const;

export const ASSETGEN_NS = 'https://assetgen.dev/ns/1.0/';
const IPTC_EXT_NS = 'http://iptc.org/std/Iptc4xmpExt/2008-02-29/';
const RDF_NS = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';

export interface ProvenanceStep {
  id: string;
  /** `owner/name` for a model step, `image` for local image work. */
  model: string;
  provider?: string;
  version?: string;
  predictionId?: string;
  seed?: number;
  taskKey: string;
  /** Only written at `provenance: full`. */
  prompt?: string;
}

export interface Provenance {
  digitalSourceType?: string;
  /** True when an offline stand-in (the local provider) produced a model step's result. */
  placeholder?: boolean;
  recipe?: string;
  asset?: string;
  variant?: string;
  generator?: string;
  steps?: ProvenanceStep[];
}

const STEP_FIELDS = [
  'id',
  'model',
  'provider',
  'version',
  'predictionId',
  'seed',
  'taskKey',
  'prompt',
] as const;

/** XML 1.0 allows no control characters but tab, line feed and carriage return: they are dropped. */
function xmlCharacters(value: string): string {
  let kept = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (code >= 0x20 || code === 0x09 || code === 0x0a || code === 0x0d) kept += char;
  }
  return kept;
}

export function escapeXml(value: string): string {
  return xmlCharacters(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function unescapeXml(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);/g, (_, name: string) => {
    if (name === 'amp') return '&';
    if (name === 'lt') return '<';
    if (name === 'gt') return '>';
    if (name === 'quot') return '"';
    if (name === 'apos') return "'";
    const code = name.startsWith('#x') ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
    return String.fromCodePoint(code);
  });
}

const element = (name: string, value: string, indent: string): string =>
  `${indent}<${name}>${escapeXml(value)}</${name}>\n`;

/**
 * The XMP packet for a file, or undefined at `none`. `label` keeps only the digital source type and the
 * placeholder mark; `ids` adds the assetgen record without prompts; `full` adds the prompts.
 */
export function provenanceXmp(provenance: Provenance, level: ProvenanceLevel): string | undefined {
  if (level === 'none') return undefined;
  let body = '';
  if (provenance.digitalSourceType !== undefined)
    body += element('Iptc4xmpExt:DigitalSourceType', provenance.digitalSourceType, '   ');
  if (provenance.placeholder === true) body += element('assetgen:placeholder', 'True', '   ');
  if (level !== 'label') {
    for (const field of ['recipe', 'asset', 'variant', 'generator'] as const) {
      const value = provenance[field];
      if (value !== undefined && value !== '') body += element(`assetgen:${field}`, value, '   ');
    }
    if (provenance.steps !== undefined && provenance.steps.length > 0) {
      body += '   <assetgen:steps>\n    <rdf:Seq>\n';
      for (const step of provenance.steps) {
        body += '     <rdf:li rdf:parseType="Resource">\n';
        for (const field of STEP_FIELDS) {
          if (field === 'prompt' && level !== 'full') continue;
          const value = step[field];
          if (value !== undefined) body += element(`assetgen:${field}`, String(value), '      ');
        }
        body += '     </rdf:li>\n';
      }
      body += '    </rdf:Seq>\n   </assetgen:steps>\n';
    }
  }
  return (
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>\n' +
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n' +
    ` <rdf:RDF xmlns:rdf="${RDF_NS}">\n` +
    `  <rdf:Description rdf:about="" xmlns:Iptc4xmpExt="${IPTC_EXT_NS}" xmlns:assetgen="${ASSETGEN_NS}">\n` +
    body +
    '  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="r"?>'
  );
}

/** A field as an element (`<p:name>v</p:name>`) or an attribute (`p:name="v"`), whichever is there. */
function field(xml: string, qualified: string): string | undefined {
  const asElement = new RegExp(`<${qualified}>([^<]*)</${qualified}>`).exec(xml);
  if (asElement?.[1] !== undefined) return unescapeXml(asElement[1]);
  const asAttribute = new RegExp(`\\s${qualified}="([^"]*)"`).exec(xml);
  return asAttribute?.[1] === undefined ? undefined : unescapeXml(asAttribute[1]);
}

/**
 * Reads what `provenanceXmp` writes (and the digital source type from any XMP, element or attribute
 * form). Prefixes are matched as assetgen writes them.
 */
export function parseProvenanceXmp(xml: string): Provenance {
  const result: Provenance = {};
  const sourceType = field(xml, 'Iptc4xmpExt:DigitalSourceType');
  if (sourceType !== undefined) result.digitalSourceType = sourceType;
  const stepsStart = xml.indexOf('<assetgen:steps>');
  const head = stepsStart < 0 ? xml : xml.slice(0, stepsStart);
  if (field(head, 'assetgen:placeholder')?.toLowerCase() === 'true') result.placeholder = true;
  for (const name of ['recipe', 'asset', 'variant', 'generator'] as const) {
    const value = field(head, `assetgen:${name}`);
    if (value !== undefined) result[name] = value;
  }
  if (stepsStart >= 0) {
    const end = xml.indexOf('</assetgen:steps>', stepsStart);
    const section = xml.slice(stepsStart, end < 0 ? undefined : end);
    result.steps = [...section.matchAll(/<rdf:li\b[^>]*>([\s\S]*?)<\/rdf:li>/g)].map((match) => {
      const item = match[1] ?? '';
      const step: ProvenanceStep = { id: '', model: '', taskKey: '' };
      for (const name of STEP_FIELDS) {
        const value = field(item, `assetgen:${name}`);
        if (value === undefined) continue;
        if (name === 'seed') step.seed = Number(value);
        else step[name] = value;
      }
      return step;
    });
  }
  return result;
}
