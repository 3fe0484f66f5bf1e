/**
 * C2PA signing through the library: a local run with a test CA's signer certificate signs every output
 * format; c2pa-ts (an independent reader) and c2pa-wasm's reader both validate the files and find the
 * `c2pa.created` action with the XMP's digital source type; the manifest says who signed; a re-run with the
 * same cache rewrites nothing; a tampered file fails; unsigned outputs stay byte for byte what they were.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunRecipesOptions, runRecipes } from '../../src/api/run.js';
import { ASSETGEN_ASSERTION } from '../../src/c2pa/manifest-definition.js';
import { readC2pa } from '../../src/c2pa/read.js';
import { readImageMetadata } from '../../src/image/index.js';
import type { Manifest } from '../../src/manifest/types.js';
import { parseProvenanceXmp } from '../../src/provenance/xmp.js';
import type { RunEvent } from '../../src/run/events.js';
import { VERSION } from '../../src/version.js';
import { makeTestCertificates, type TestCertificates } from '../helpers/c2pa-certs.js';
import { verifyWithC2paTs, wasmAssertions } from '../helpers/c2pa-readers.js';
import { manifestValidator } from '../helpers/manifest.js';

const FORMATS = { png: 'png', jpg: 'jpeg', webp: 'webp', avif: 'avif' } as const;
const PROMPT = 'a pear & a "plum"';

const recipe = (name: string, provenance: string, extensions: readonly string[]) => `name: ${name}
provenance: ${provenance}
assets:
  - id: pear
steps:
  - id: draft
    model: black-forest-labs/flux-schnell
    input: { prompt: '${PROMPT}', aspect_ratio: "1:1", megapixels: "0.25" }
outputs:
${extensions.map((ext) => `  - path: "{{ id }}.${ext}"`).join('\n')}
`;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('C2PA-signed runs', () => {
  let dir: string;
  let certs: TestCertificates;
  const validate = manifestValidator();

  const run = async (out: string, options: Partial<RunRecipesOptions> = {}, cacheDir = 'cache') => {
    const events: RunEvent[] = [];
    const report = await runRecipes(['full.yaml', 'ids.yaml', 'label.yaml'], {
      cwd: dir,
      provider: 'local',
      out,
      cacheDir,
      onEvent: (event) => events.push(event),
      ...options,
    });
    expect(report.problems).toEqual([]);
    expect(report.status).toBe('ok');
    return { report, events, manifest: report.manifest as Manifest };
  };
  const signing = () => ({ c2pa: { cert: certs.chain, key: certs.key } });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-c2pa-'));
    certs = await makeTestCertificates(dir);
    await writeFile(join(dir, 'full.yaml'), recipe('full', 'full', Object.keys(FORMATS)));
    await writeFile(join(dir, 'ids.yaml'), recipe('ids', 'ids', ['png']));
    await writeFile(join(dir, 'label.yaml'), recipe('label', 'label', ['jpg']));
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('signs every output format; both readers validate it and find the XMP’s digital source type', async () => {
    const { manifest } = await run('signed', signing());
    expect(validate(manifest)).toEqual([]);
    const outputs = manifest.recipes.full?.assets[0]?.outputs ?? [];
    expect(outputs.map((output) => output.path)).toEqual(
      Object.keys(FORMATS).map((ext) => `full/pear.${ext}`),
    );
    for (const output of outputs) {
      const path = join(dir, 'signed', output.path);
      const bytes = new Uint8Array(await readFile(path));
      const contentType = `image/${output.format}`;
      expect(output.c2pa).toEqual({ signer: 'Test Signer' });
      expect({ bytes: bytes.length, sha256: sha256(bytes) }).toEqual({
        bytes: output.bytes,
        sha256: output.sha256,
      });
      // The provenance XMP is still there, inside the signed data.
      const xmp = (await readImageMetadata(path)).xmp;
      const sourceType = parseProvenanceXmp(xmp ?? '').digitalSourceType;
      expect(sourceType).toMatch(/^http:\/\/cv\.iptc\.org\/newscodes\/digitalsourcetype\//);

      const summary = await readC2pa(bytes, contentType);
      expect(summary, output.path).toMatchObject({
        validationState: 'Valid',
        failures: [],
        untrusted: true, // a self-made CA is on no trust list
        signer: 'Test Signer',
        issuer: 'assetgen tests',
        claimGenerator: `assetgen ${VERSION}`,
        digitalSourceType: sourceType,
      });
      const assertions = await wasmAssertions(bytes, contentType);
      const record = assertions.get(ASSETGEN_ASSERTION) as { recipe: string; steps: { prompt?: string }[] };
      expect(record).toMatchObject({ recipe: 'full', asset: 'pear', placeholder: true });
      expect(record.steps[0]?.prompt).toBe(PROMPT);

      if (output.format === 'webp') continue; // c2pa-ts reads JPEG, PNG and BMFF only
      const verdict = await verifyWithC2paTs(bytes);
      expect(verdict, output.path).toMatchObject({
        valid: true,
        failures: [],
        created: { action: 'c2pa.created', digitalSourceType: sourceType },
      });
      expect(verdict.labels).toContain(ASSETGEN_ASSERTION);
    }
  }, 60_000);

  it('mirrors the XMP levels: no prompt at ids, no assetgen record at label', async () => {
    const ids = new Uint8Array(await readFile(join(dir, 'signed', 'ids', 'pear.png')));
    const idsRecord = (await wasmAssertions(ids, 'image/png')).get(ASSETGEN_ASSERTION) as {
      steps: Record<string, unknown>[];
    };
    expect(idsRecord.steps[0]).toMatchObject({ id: 'draft', model: 'black-forest-labs/flux-schnell' });
    expect(idsRecord.steps[0]).not.toHaveProperty('prompt');
    expect(Buffer.from(ids).includes('a pear &')).toBe(false);
    const label = new Uint8Array(await readFile(join(dir, 'signed', 'label', 'pear.jpg')));
    const labelAssertions = await wasmAssertions(label, 'image/jpeg');
    expect([...labelAssertions.keys()].filter((key) => !key.startsWith('c2pa.hash'))).toEqual([
      'c2pa.actions.v2',
    ]);
    expect((await verifyWithC2paTs(label)).valid).toBe(true);
  }, 60_000);

  it('a re-run with the same certificate and cache rewrites nothing: the same signed bytes', async () => {
    const before = await readFile(join(dir, 'signed', 'full', 'pear.png'));
    const { events } = await run('signed', signing());
    const written = events.filter((event) => event.type === 'file-written');
    expect(written).toHaveLength(6);
    expect(written.every((event) => event.type === 'file-written' && event.unchanged)).toBe(true);
    expect(sha256(await readFile(join(dir, 'signed', 'full', 'pear.png')))).toBe(sha256(before));
  }, 60_000);

  it('a tampered file fails validation in both readers', async () => {
    for (const ext of ['png', 'jpg']) {
      const bytes = new Uint8Array(await readFile(join(dir, 'signed', 'full', `pear.${ext}`)));
      const tampered = bytes.slice();
      const at = tampered.length - 40; // inside the image data, after the manifest
      tampered[at] = (tampered[at] ?? 0) ^ 0x55;
      const summary = await readC2pa(tampered, ext === 'png' ? 'image/png' : 'image/jpeg');
      expect(summary?.validationState, ext).toBe('Invalid');
      expect(summary?.failures.join(' '), ext).toMatch(/dataHash\.mismatch|assertion\./);
      expect((await verifyWithC2paTs(tampered)).valid, ext).toBe(false);
    }
  }, 60_000);

  it('unsigned runs write the same bytes as a cache that never signed', async () => {
    const { manifest: unsigned } = await run('unsigned'); // same cache as the signed runs
    const { manifest: fresh } = await run('fresh', {}, 'fresh-cache');
    const files = (m: Manifest) =>
      Object.values(m.recipes).flatMap((entry) => entry.assets.flatMap((asset) => asset.outputs));
    expect(files(unsigned).map((file) => file.sha256)).toEqual(files(fresh).map((file) => file.sha256));
    expect(files(unsigned).some((file) => file.c2pa !== undefined)).toBe(false);
    for (const file of files(unsigned)) {
      expect(
        await readC2pa(
          new Uint8Array(await readFile(join(dir, 'unsigned', file.path))),
          `image/${file.format}`,
        ),
      ).toBeUndefined();
    }
    const signed = files((await run('signed', signing())).manifest);
    expect(signed.map((file) => file.sha256)).not.toContain(files(fresh)[0]?.sha256);
  }, 60_000);
});
