/**
 * A second, independent C2PA reader for the tests: @trustnxt/c2pa-ts (pure TypeScript; JPEG, PNG and
 * BMFF/AVIF — no WebP) validates what c2pa-wasm signed.
 */
import { BMFF, JPEG, PNG } from '@trustnxt/c2pa-ts/asset';
import { SuperBox } from '@trustnxt/c2pa-ts/jumbf';
import { ActionAssertion, ManifestStore } from '@trustnxt/c2pa-ts/manifest';
import { loadC2paLibrary } from '../../src/c2pa/library.js';

export interface C2paTsVerdict {
  valid: boolean;
  /** Status codes that failed. */
  failures: string[];
  generator: string | undefined;
  created: { action: string; digitalSourceType?: string } | undefined;
  labels: string[];
}

export async function verifyWithC2paTs(bytes: Uint8Array<ArrayBuffer>): Promise<C2paTsVerdict> {
  const asset = JPEG.canRead(bytes) ? new JPEG(bytes) : PNG.canRead(bytes) ? new PNG(bytes) : new BMFF(bytes);
  const jumbf = asset.getManifestJUMBF();
  if (jumbf === undefined) throw new Error('no C2PA manifest in the file');
  const store = ManifestStore.read(SuperBox.fromBuffer(new Uint8Array(jumbf)));
  const result = await store.validate(asset);
  const manifest = store.getActiveManifest();
  const assertions = manifest?.assertions?.assertions ?? [];
  const actions = assertions.find(
    (assertion): assertion is ActionAssertion => assertion instanceof ActionAssertion,
  );
  const created = actions?.actions.find((action) => action.action === 'c2pa.created');
  return {
    valid: result.isValid,
    failures: result.statusEntries
      .filter((entry) => entry.success === false)
      .map((entry) => String(entry.code)),
    generator: manifest?.claim?.claimGeneratorInfo ?? manifest?.claim?.claimGeneratorName,
    created:
      created === undefined
        ? undefined
        : {
            action: String(created.action),
            ...(created.digitalSourceType === undefined
              ? {}
              : { digitalSourceType: String(created.digitalSourceType) }),
          },
    labels: assertions.map((assertion) => String(assertion.label)),
  };
}

/** The active manifest's assertions as c2pa-wasm reads them (label → data). */
export async function wasmAssertions(bytes: Uint8Array, contentType: string): Promise<Map<string, unknown>> {
  const { library } = await loadC2paLibrary();
  const reader = await library.WasmReader.fromBytes(contentType, bytes);
  try {
    const manifest = reader.activeManifest() as { assertions?: { label: string; data: unknown }[] };
    return new Map((manifest.assertions ?? []).map((assertion) => [assertion.label, assertion.data]));
  } finally {
    reader.free();
  }
}
