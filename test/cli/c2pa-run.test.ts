/**
 * `assetgen run --c2pa-cert --c2pa-key` (and ASSETGEN_C2PA_CERT/_KEY): signed outputs that `assetgen
 * inspect` shows as validly signed; credentials C2PA would refuse stop the run before anything is
 * written (exit 2), and no message carries the key.
 */
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificates, type TestCertificates } from '../helpers/c2pa-certs.js';
import { verifyWithC2paTs } from '../helpers/c2pa-readers.js';
import { runCli } from '../helpers/cli.js';

const RECIPE = `name: cli-signed
assets:
  - id: fig
steps:
  - id: draft
    model: black-forest-labs/flux-schnell
    input: { prompt: "a fig", aspect_ratio: "1:1", megapixels: "0.25" }
outputs:
  - path: "{{ id }}.jpg"
`;

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe('assetgen run with C2PA signing', () => {
  let dir: string;
  let certs: TestCertificates;
  let keyBody: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-c2pa-cli-'));
    certs = await makeTestCertificates(dir);
    await writeFile(join(dir, 'r.yaml'), RECIPE);
    keyBody = (await readFile(certs.key, 'utf8')).split('\n')[1] ?? '';
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('signs the outputs; inspect shows the valid signature, the signer and the source type', async () => {
    const args = ['run', 'r.yaml', '--provider', 'local', '--out', 'out'];
    const run = await runCli([...args, '--c2pa-cert', certs.chain, '--c2pa-key', certs.key], { cwd: dir });
    expect(run.err).not.toContain('error');
    expect(run.code).toBe(0);
    const file = join(dir, 'out', 'cli-signed', 'fig.jpg');
    expect((await verifyWithC2paTs(new Uint8Array(await readFile(file)))).valid).toBe(true);
    const manifest = JSON.parse(await readFile(join(dir, 'out', 'manifest.json'), 'utf8'));
    expect(manifest.recipes['cli-signed'].assets[0].outputs[0].c2pa).toEqual({ signer: 'Test Signer' });

    const inspected = await runCli(['inspect', 'out/cli-signed/fig.jpg'], { cwd: dir });
    expect(inspected.code).toBe(0);
    expect(inspected.out).toContain('C2PA manifest: valid signature (signer on no trust list');
    expect(inspected.out).toMatch(/signer\s+Test Signer, issued by assetgen tests/);
    expect(inspected.out).toMatch(
      /digital source type\s+http:\/\/cv\.iptc\.org\/newscodes\/digitalsourcetype\/algorithmicMedia/,
    );
    const json = JSON.parse(
      (await runCli(['inspect', 'out/cli-signed/fig.jpg', '--json'], { cwd: dir })).out,
    );
    expect(json.c2pa).toMatchObject({ validationState: 'Valid', signer: 'Test Signer', failures: [] });

    // The environment works as well as the flags.
    const env = { ASSETGEN_C2PA_CERT: certs.chain, ASSETGEN_C2PA_KEY: certs.key };
    expect((await runCli([...args.slice(0, -1), 'out-env'], { cwd: dir, env })).code).toBe(0);
    expect(
      (await verifyWithC2paTs(new Uint8Array(await readFile(join(dir, 'out-env', 'cli-signed', 'fig.jpg')))))
        .valid,
    ).toBe(true);
  }, 60_000);

  it.each([
    [
      'a certificate without extendedKeyUsage',
      () => [certs.noEkuChain, certs.key],
      /has no extendedKeyUsage\. C2PA needs/,
    ],
    [
      'a certificate without digitalSignature',
      () => [certs.noDigitalSignatureChain, certs.key],
      /keyUsage has no digitalSignature/,
    ],
    [
      'a key that is not the certificate’s',
      () => [certs.chain, certs.otherKey],
      /does not belong to the first certificate/,
    ],
    ['an RSA key', () => [certs.rsaChain, certs.rsaKey], /an RSA key is not supported; use an EC P-256/],
    [
      'a missing certificate file',
      () => [join(dir, 'none.pem'), certs.key],
      /none\.pem: cannot read it \(ENOENT\)/,
    ],
    ['the key given as the certificate', () => [certs.key, certs.key], /no PEM certificate in it/],
  ])('refuses %s before anything runs (exit 2, nothing written)', async (_, pair, message) => {
    const [cert, key] = pair() as [string, string];
    const out = `out-refused-${Math.random().toString(36).slice(2)}`;
    const run = await runCli(
      ['run', 'r.yaml', '--provider', 'local', '--out', out, '--c2pa-cert', cert, '--c2pa-key', key],
      { cwd: dir },
    );
    expect(run.code).toBe(2);
    expect(run.err).toMatch(message);
    expect(run.err + run.out).not.toContain(keyBody);
    expect(await exists(join(dir, out))).toBe(false);
  });

  it('needs both a certificate and a key', async () => {
    const run = await runCli(
      ['run', 'r.yaml', '--provider', 'local', '--out', 'out-half', '--c2pa-cert', certs.chain],
      {
        cwd: dir,
      },
    );
    expect(run.code).toBe(2);
    expect(run.err).toContain('give --c2pa-key (or ASSETGEN_C2PA_KEY) too');
    expect(await exists(join(dir, 'out-half'))).toBe(false);
  });
});
