/**
 * Test certificates made with openssl in a folder: a P-256 CA, a signer it issued with the usages C2PA
 * asks for (keyUsage digitalSignature, extendedKeyUsage emailProtection), and ones C2PA refuses.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OPENSSL = '/usr/bin/openssl';

export interface TestCertificates {
  /** Signer then CA, PEM. */
  chain: string;
  key: string;
  /** Same key, certificate without extendedKeyUsage. */
  noEkuChain: string;
  /** Same key, keyUsage keyAgreement only (no digitalSignature). */
  noDigitalSignatureChain: string;
  /** A different P-256 key (belongs to no certificate here). */
  otherKey: string;
  /** An RSA key and a certificate for it (C2PA allows PS256; assetgen signs with EC or Ed25519 only). */
  rsaChain: string;
  rsaKey: string;
}

const EXTENSIONS = `[signer]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=emailProtection
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[noeku]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[nodigsig]
basicConstraints=critical,CA:FALSE
keyUsage=critical,keyAgreement
extendedKeyUsage=emailProtection
`;

export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => run(OPENSSL, args, { cwd: dir });
  await writeFile(at('ext.cnf'), EXTENSIONS);
  await openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
  await openssl(
    'req',
    '-new',
    '-x509',
    '-key',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '30',
    '-subj',
    '/CN=Test CA/O=assetgen tests',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  await openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'signer.key');
  await openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key');
  await openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'rsa.key');
  const ca = await readFile(at('ca.pem'), 'utf8');
  const issue = async (key: string, section: string, name: string): Promise<string> => {
    await openssl(
      'req',
      '-new',
      '-key',
      key,
      '-out',
      `${name}.csr`,
      '-subj',
      '/CN=Test Signer/O=assetgen tests',
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '30',
      '-extfile',
      'ext.cnf',
      '-extensions',
      section,
    );
    const chain = `${await readFile(at(`${name}.pem`), 'utf8')}${ca}`;
    await writeFile(at(`${name}-chain.pem`), chain);
    return at(`${name}-chain.pem`);
  };
  return {
    chain: await issue('signer.key', 'signer', 'signer'),
    key: at('signer.key'),
    noEkuChain: await issue('signer.key', 'noeku', 'noeku'),
    noDigitalSignatureChain: await issue('signer.key', 'nodigsig', 'nodigsig'),
    otherKey: at('other.key'),
    rsaChain: await issue('rsa.key', 'signer', 'rsa'),
    rsaKey: at('rsa.key'),
  };
}
