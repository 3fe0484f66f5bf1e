/**
 * The claim signature C2PA embeds: a COSE_Sign1 structure (RFC 9052) with a detached payload (the claim),
 * the certificate chain in the protected `x5chain` header, and an unprotected `pad` that makes the box
 * exactly as long as the space the library reserved for it. The signature itself is made by node:crypto.
 */
import { type KeyObject, sign } from 'node:crypto';
import { type CborValue, encodeCbor } from './cbor.js';

/** A signing algorithm as c2pa-wasm names it, with its COSE id and digest. */
export interface CoseAlgorithm {
  name: 'es256' | 'es384' | 'es512' | 'ed25519';
  coseId: number;
  /** null for Ed25519 (the digest is part of the algorithm). */
  digest: 'sha256' | 'sha384' | 'sha512' | null;
  /** Bytes of the raw (IEEE P1363) signature. */
  signatureBytes: number;
}

export const COSE_ALGORITHMS = {
  es256: { name: 'es256', coseId: -7, digest: 'sha256', signatureBytes: 64 },
  es384: { name: 'es384', coseId: -35, digest: 'sha384', signatureBytes: 96 },
  es512: { name: 'es512', coseId: -36, digest: 'sha512', signatureBytes: 132 },
  ed25519: { name: 'ed25519', coseId: -8, digest: null, signatureBytes: 64 },
} as const satisfies Record<string, CoseAlgorithm>;

const COSE_SIGN1_TAG = 18;
const HEADER_ALG = 1;
const HEADER_X5CHAIN = 33;
/** Padding the reserved size leaves room for (the structure's size is fixed for a chain and algorithm). */
const PAD_BYTES = 64;

export interface CoseSigner {
  /** What to tell the library: the signature box's exact size. */
  reserveSize: number;
  /** COSE_Sign1 over `claim`, exactly `reserveSize` bytes. */
  sign(claim: Uint8Array): Uint8Array;
}

export function createCoseSigner(
  algorithm: CoseAlgorithm,
  key: KeyObject,
  chain: readonly Uint8Array[],
): CoseSigner {
  const x5chain: CborValue = chain.length === 1 ? (chain[0] as Uint8Array) : chain;
  const protectedHeader = encodeCbor(
    new Map<number, CborValue>([
      [HEADER_ALG, algorithm.coseId],
      [HEADER_X5CHAIN, x5chain],
    ]),
  );
  const structure = (signature: Uint8Array, padBytes: number) =>
    encodeCbor({
      tag: COSE_SIGN1_TAG,
      value: [protectedHeader, new Map([['pad', new Uint8Array(padBytes)]]), null, signature],
    });
  const reserveSize = structure(new Uint8Array(algorithm.signatureBytes), PAD_BYTES).length;
  return {
    reserveSize,
    sign(claim) {
      const toBeSigned = encodeCbor(['Signature1', protectedHeader, new Uint8Array(0), claim]);
      const signature =
        algorithm.digest === null
          ? sign(null, toBeSigned, key)
          : sign(algorithm.digest, toBeSigned, { key, dsaEncoding: 'ieee-p1363' });
      let padBytes = PAD_BYTES + algorithm.signatureBytes - signature.length;
      let encoded = structure(signature, padBytes);
      while (encoded.length > reserveSize && padBytes > 0) encoded = structure(signature, --padBytes);
      if (encoded.length !== reserveSize)
        throw new RangeError(`COSE signature is ${encoded.length} bytes, not the ${reserveSize} reserved`);
      return new Uint8Array(encoded);
    },
  };
}
