/**
 * The few CBOR items (RFC 8949) a COSE_Sign1 structure needs, encoded deterministically: unsigned and
 * negative integers, byte and text strings, arrays, maps (in the order given), null and tags.
 */

export type CborValue =
  | number
  | string
  | Uint8Array
  | null
  | readonly CborValue[]
  | ReadonlyMap<number | string, CborValue>
  | CborTagged;

export interface CborTagged {
  tag: number;
  value: CborValue;
}

function head(major: number, length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`CBOR length ${length}`);
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  if (length < 0x10000) {
    const bytes = Buffer.alloc(3);
    bytes[0] = (major << 5) | 25;
    bytes.writeUInt16BE(length, 1);
    return bytes;
  }
  if (length < 0x100000000) {
    const bytes = Buffer.alloc(5);
    bytes[0] = (major << 5) | 26;
    bytes.writeUInt32BE(length, 1);
    return bytes;
  }
  throw new RangeError(`CBOR length ${length} is too large`);
}

export function encodeCbor(value: CborValue): Buffer {
  if (value === null) return Buffer.from([0xf6]);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new RangeError(`CBOR: ${value} is not an integer`);
    return value >= 0 ? head(0, value) : head(1, -1 - value);
  }
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(encodeCbor)]);
  if (value instanceof Map) {
    const parts = [head(5, value.size)];
    for (const [key, item] of value) parts.push(encodeCbor(key), encodeCbor(item));
    return Buffer.concat(parts);
  }
  const tagged = value as CborTagged;
  return Buffer.concat([head(6, tagged.tag), encodeCbor(tagged.value)]);
}
