/**
 * A user's C2PA signing credentials: a PEM certificate chain (signer first) and its PEM private key,
 * read and checked before anything runs — readable, parsed, the key matching the certificate, an
 * algorithm C2PA knows, valid today, and the usages C2PA asks of a claim signer. The key's content never
 * appears in a message.
 */
import { createHash, createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { COSE_ALGORITHMS, type CoseAlgorithm } from './cose-sign1.js';

/** Paths to the PEM files (relative to the run's `cwd`). */
export interface C2paSigningOptions {
  /** The certificate chain: the signer's certificate first, then its issuers (the root may be left out). */
  cert: string;
  /** The signer's private key (PKCS#8 or SEC1/PKCS#1, not encrypted). */
  key: string;
}

export interface C2paCredentials {
  chain: Uint8Array[];
  key: KeyObject;
  algorithm: CoseAlgorithm;
  /** The signer certificate's subject CN (else O), as readers show it. */
  signer: string;
  /** sha256 of the chain's DER: part of a signed file's cache key. */
  chainSha256: string;
}

/** Extended key usages C2PA accepts for a claim signer (C2PA 2.1, 14.5.1). */
const C2PA_SIGNER_EKUS: Readonly<Record<string, string>> = {
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.36': 'documentSigning',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '1.3.6.1.4.1.311.76.59.1.9': 'Microsoft C2PA signing',
  '1.3.6.1.4.1.62558.2.1': 'C2PA claim signing',
};

const HOW_TO_MAKE =
  'C2PA needs a certificate with keyUsage digitalSignature and extendedKeyUsage emailProtection or documentSigning';

function problem(what: string, path: string, detail: string): UsageError {
  return new UsageError(`C2PA ${what} ${path}: ${detail}`);
}

async function readText(what: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw problem(what, path, `cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function parseChain(text: string, path: string): X509Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0)
    throw problem('certificate', path, 'no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)');
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw problem('certificate', path, `certificate ${index + 1} is not a valid X.509 certificate`);
    }
  });
}

function parseKey(text: string, path: string): KeyObject {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text))
    throw problem(
      'key',
      path,
      'the key is encrypted; give an unencrypted PEM key (openssl pkey -in <key> -out <new key>)',
    );
  if (!/-----BEGIN (EC |RSA )?PRIVATE KEY-----/.test(text))
    throw problem('key', path, 'no PEM private key in it (expected -----BEGIN PRIVATE KEY-----)');
  try {
    return createPrivateKey({ key: text, format: 'pem' });
  } catch {
    // node's message is kept out: nothing of the key's content may reach a message.
    throw problem('key', path, 'the private key cannot be parsed');
  }
}

function algorithmOf(key: KeyObject, path: string): CoseAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return COSE_ALGORITHMS.ed25519;
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return COSE_ALGORITHMS.es256;
    if (curve === 'secp384r1') return COSE_ALGORITHMS.es384;
    if (curve === 'secp521r1') return COSE_ALGORITHMS.es512;
  }
  const kind =
    key.asymmetricKeyType === 'ec'
      ? `an EC ${key.asymmetricKeyDetails?.namedCurve ?? ''} key`
      : `an ${(key.asymmetricKeyType ?? 'unknown').toUpperCase()} key`;
  throw problem('key', path, `${kind} is not supported; use an EC P-256, P-384 or P-521 or an Ed25519 key`);
}

/**
 * The keyUsage extension's bits (RFC 5280 4.2.1.3) read from the certificate's DER, or undefined when
 * it has none: OID 2.5.29.15, an optional critical flag, then an OCTET STRING holding a BIT STRING.
 */
export function keyUsageBits(
  der: Uint8Array,
): { digitalSignature: boolean; nonRepudiation: boolean } | undefined {
  const oid = [0x06, 0x03, 0x55, 0x1d, 0x0f];
  for (let at = 0; at + oid.length < der.length; at++) {
    if (!oid.every((byte, index) => der[at + index] === byte)) continue;
    let next = at + oid.length;
    if (der[next] === 0x01) next += 3; // BOOLEAN critical
    if (der[next] !== 0x04 || der[next + 2] !== 0x03) return undefined;
    const bits = der[next + 5] ?? 0; // OCTET STRING len, BIT STRING len, unused-bits count, first byte
    return { digitalSignature: (bits & 0x80) !== 0, nonRepudiation: (bits & 0x40) !== 0 };
  }
  return undefined;
}

function subjectName(certificate: X509Certificate): string {
  const fields = certificate.subject.split('\n');
  const value = (name: string) =>
    fields.find((field) => field.startsWith(`${name}=`))?.slice(name.length + 1);
  return value('CN') ?? value('O') ?? certificate.subject;
}

function checkSigner(leaf: X509Certificate, path: string, now: Date): void {
  if (leaf.ca)
    throw problem(
      'certificate',
      path,
      `the first certificate is a CA; put the signer's certificate first. ${HOW_TO_MAKE}`,
    );
  if (now < new Date(leaf.validFrom) || now > new Date(leaf.validTo))
    throw problem(
      'certificate',
      path,
      `the signer's certificate is valid ${leaf.validFrom} to ${leaf.validTo}, not now`,
    );
  const usage = keyUsageBits(leaf.raw);
  if (usage !== undefined && !usage.digitalSignature && !usage.nonRepudiation)
    throw problem('certificate', path, `its keyUsage has no digitalSignature. ${HOW_TO_MAKE}`);
  const ekus = (leaf as X509Certificate & { extKeyUsage?: string[] }).extKeyUsage ?? leaf.keyUsage ?? [];
  if (!ekus.some((oid) => C2PA_SIGNER_EKUS[oid] !== undefined))
    throw problem(
      'certificate',
      path,
      `${ekus.length === 0 ? 'it has no extendedKeyUsage' : `its extendedKeyUsage (${ekus.join(', ')}) has none C2PA accepts`}. ${HOW_TO_MAKE}`,
    );
}

export async function loadC2paCredentials(
  options: C2paSigningOptions,
  cwd: string,
  now = new Date(),
): Promise<C2paCredentials> {
  const certPath = resolve(cwd, options.cert);
  const keyPath = resolve(cwd, options.key);
  const chain = parseChain(await readText('certificate', certPath), certPath);
  const key = parseKey(await readText('key', keyPath), keyPath);
  const leaf = chain[0] as X509Certificate;
  if (!leaf.checkPrivateKey(key))
    throw problem('key', keyPath, `it does not belong to the first certificate in ${certPath}`);
  const algorithm = algorithmOf(key, keyPath);
  checkSigner(leaf, certPath, now);
  const der = chain.map((certificate) => new Uint8Array(certificate.raw));
  const hash = createHash('sha256');
  for (const item of der) hash.update(item);
  return { chain: der, key, algorithm, signer: subjectName(leaf), chainSha256: hash.digest('hex') };
}
