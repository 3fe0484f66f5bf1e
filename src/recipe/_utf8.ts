/**
 * Recipe bytes → text. Recipes must be UTF-8: anything else (Latin-1, Windows-1252, UTF-16) is refused with
 * the line and column of the first byte that is not, instead of being decoded into replacement characters
 * that would then be sent to a paid model as part of a prompt.
 */
import { isUtf8 } from 'node:buffer';

export type DecodedRecipe = { text: string } | { line: number; column: number; message: string };

export function decodeRecipeBytes(bytes: Buffer): DecodedRecipe {
  if (hasUtf16Mark(bytes)) {
    return {
      line: 1,
      column: 1,
      message:
        'the file is UTF-16 text (it starts with a UTF-16 byte order mark); recipes must be UTF-8 (save it as UTF-8)',
    };
  }
  if (isUtf8(bytes)) return { text: bytes.toString('utf8') };
  const offset = firstInvalidByte(bytes);
  const before = bytes.subarray(0, offset).toString('utf8');
  const lineStart = before.lastIndexOf('\n') + 1;
  const line = before.length === 0 ? 1 : before.split('\n').length;
  const byte = (bytes[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0');
  return {
    line,
    column: before.length - lineStart + 1,
    message: `not UTF-8 text: byte 0x${byte} cannot start a character here; save the recipe as UTF-8 (it may be Latin-1 or Windows-1252)`,
  };
}

function hasUtf16Mark(bytes: Buffer): boolean {
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
}

const continuation = (byte: number | undefined): boolean => byte !== undefined && (byte & 0xc0) === 0x80;

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence (RFC 3629). */
export function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] as number;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    const length = sequenceLength(lead, bytes[i + 1]);
    if (length === 0) return i;
    for (let k = 1; k < length; k++) if (!continuation(bytes[i + k])) return i;
    i += length;
  }
  return bytes.length;
}

/** Length of the sequence that `lead` starts (0 when it cannot start one here); `second` narrows E0/ED/F0/F4. */
function sequenceLength(lead: number, second: number | undefined): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (second === undefined) return 0;
  if (lead === 0xe0) return second >= 0xa0 && second <= 0xbf ? 3 : 0;
  if (lead === 0xed) return second >= 0x80 && second <= 0x9f ? 3 : 0;
  if (lead >= 0xe1 && lead <= 0xef) return 3;
  if (lead === 0xf0) return second >= 0x90 && second <= 0xbf ? 4 : 0;
  if (lead === 0xf4) return second >= 0x80 && second <= 0x8f ? 4 : 0;
  if (lead >= 0xf1 && lead <= 0xf3) return 4;
  return 0;
}
