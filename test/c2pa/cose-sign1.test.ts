/**
 * The CBOR encoder against RFC 8949's examples (Appendix A), and the COSE_Sign1 signer: every structure
 * exactly the reserved size, its signature verifiable over the Sig_structure with the signer's public key.
 */
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeCbor } from '../../src/c2pa/cbor.js';
import { COSE_ALGORITHMS, createCoseSigner } from '../../src/c2pa/cose-sign1.js';
import { refusalReason } from '../../src/c2pa/signer.js';

describe('CBOR', () => {
  it.each([
    [0, '00'],
    [23, '17'],
    [24, '1818'],
    [1000, '1903e8'],
    [1000000, '1a000f4240'],
    [-1, '20'],
    [-7, '26'],
    [-100, '3863'],
    ['', '60'],
    ['IETF', '6449455446'],
    [new Uint8Array([1, 2, 3, 4]), '4401020304'],
    [[1, [2, 3]], '820182020 3'.replace(' ', '')],
    [
      new Map<number | string, number>([
        [1, 2],
        ['a', 3],
      ]),
      'a201026161' + '03',
    ],
    [null, 'f6'],
    [{ tag: 18, value: [] }, 'd280'],
  ] as const)('%o → %s', (value, hex) => {
    expect(encodeCbor(value).toString('hex')).toBe(hex);
  });
});

describe('COSE_Sign1', () => {
  it.each([
    ['es256', { type: 'ec', curve: 'prime256v1' }],
    ['es384', { type: 'ec', curve: 'secp384r1' }],
    ['es512', { type: 'ec', curve: 'secp521r1' }],
    ['ed25519', { type: 'ed25519' }],
  ] as const)('%s: exactly the reserved size, verifiable', (name, kind) => {
    const { privateKey } =
      kind.type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: kind.curve })
        : generateKeyPairSync('ed25519');
    const algorithm = COSE_ALGORITHMS[name];
    const chain = [new Uint8Array(300).fill(1), new Uint8Array(280).fill(2)];
    const signer = createCoseSigner(algorithm, privateKey, chain);
    for (const claim of [new Uint8Array(0), new Uint8Array(5000).fill(7)]) {
      const cose = Buffer.from(signer.sign(claim));
      expect(cose.length).toBe(signer.reserveSize);
      expect(cose[0]).toBe(0xd2); // tag 18
      // The signature is the structure's last item: a byte string of the algorithm's length at the end.
      const signature = cose.subarray(cose.length - algorithm.signatureBytes);
      // Tag 18 (d2), array of 4 (84), then the protected header as a byte string (59: 2-byte length).
      expect(cose.subarray(0, 3).toString('hex')).toBe('d28459');
      const protectedHeader = cose.subarray(5, 5 + cose.readUInt16BE(3));
      const toBeSigned = encodeCbor([
        'Signature1',
        new Uint8Array(protectedHeader),
        new Uint8Array(0),
        claim,
      ]);
      const publicKey = createPublicKey(privateKey);
      const ok =
        algorithm.digest === null
          ? verify(null, toBeSigned, publicKey, signature)
          : verify(algorithm.digest, toBeSigned, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
      expect(ok).toBe(true);
    }
  });
});

describe('refusalReason', () => {
  it('names the failure codes of the library’s debug dump, leaving out "untrusted"', () => {
    const dump =
      'C2pa(InvalidManifest(ValidationResults { active_manifest: Some(StatusCodes { success: [ValidationStatus { code: "claimSignature.validated", url: None, explanation: Some("claim signature valid") }], failure: [ValidationStatus { code: "signingCredential.untrusted", url: None, explanation: Some("signing certificate untrusted"), kind: Failure }, ValidationStatus { code: "signingCredential.invalid", url: None, explanation: Some("certificate params incorrect"), kind: Failure }] }) }))';
    expect(refusalReason(new Error(dump))).toBe('signingCredential.invalid (certificate params incorrect)');
    expect(refusalReason(new Error('C2pa(InvalidAsset("Could not parse input JPEG"))'))).toBe(
      'C2pa(InvalidAsset("Could not parse input JPEG"))',
    );
  });
});
