/**
 * A file's C2PA manifest read back and validated by the library (`assetgen inspect`, the tests): its
 * validation state, signer and the digital source type of its `c2pa.created` action.
 */
import type { WasmReader } from '@contentauth/c2pa-wasm';
import { loadC2paLibrary } from './library.js';

export interface C2paSummary {
  /**
   * `Valid`: the signature and the hashes check out (the signer may still be on no trust list);
   * `Trusted`: also on a trust list the library knows; `Invalid`: see `failures`.
   */
  validationState: 'Valid' | 'Trusted' | 'Invalid';
  /** Failure codes other than `signingCredential.untrusted`, with the library's explanation. */
  failures: string[];
  /** True when the library lists the signer as untrusted (any self-made certificate is). */
  untrusted: boolean;
  signer?: string;
  issuer?: string;
  claimGenerator?: string;
  digitalSourceType?: string;
  /** The assertion labels of the active manifest. */
  assertions: string[];
}

interface ActiveManifest {
  claim_generator_info?: { name?: string; version?: string }[];
  signature_info?: { common_name?: string; issuer?: string };
  assertions?: { label: string; data?: { actions?: { action?: string; digitalSourceType?: string }[] } }[];
}

interface ManifestStoreView {
  validation_state?: string;
  validation_results?: { activeManifest?: { failure?: { code: string; explanation?: string }[] } };
}

/** The summary, or undefined when the file carries no C2PA manifest. Throws when the library is missing. */
export async function readC2pa(bytes: Uint8Array, contentType: string): Promise<C2paSummary | undefined> {
  const { library } = await loadC2paLibrary();
  let reader: WasmReader;
  try {
    reader = await library.WasmReader.fromBytes(contentType, bytes);
  } catch (error) {
    if (/JumbfNotFound|ManifestNotFound|ProvenanceMissing/i.test(String(error))) return undefined;
    return {
      validationState: 'Invalid',
      failures: [String(error).slice(0, 300)],
      untrusted: false,
      assertions: [],
    };
  }
  try {
    const store = reader.manifestStore() as ManifestStoreView;
    const manifest = (reader.activeManifest() ?? {}) as ActiveManifest;
    const failed = store.validation_results?.activeManifest?.failure ?? [];
    const state = store.validation_state;
    const summary: C2paSummary = {
      validationState: state === 'Trusted' || state === 'Valid' ? state : 'Invalid',
      failures: failed
        .filter((entry) => entry.code !== 'signingCredential.untrusted')
        .map((entry) =>
          entry.explanation === undefined ? entry.code : `${entry.code} (${entry.explanation})`,
        ),
      untrusted: failed.some((entry) => entry.code === 'signingCredential.untrusted'),
      assertions: (manifest.assertions ?? []).map((assertion) => assertion.label),
    };
    const info = manifest.signature_info;
    if (info?.common_name !== undefined) summary.signer = info.common_name;
    if (info?.issuer !== undefined) summary.issuer = info.issuer;
    const generator = manifest.claim_generator_info?.[0];
    if (generator?.name !== undefined)
      summary.claimGenerator =
        generator.version === undefined ? generator.name : `${generator.name} ${generator.version}`;
    for (const assertion of manifest.assertions ?? []) {
      if (!assertion.label.startsWith('c2pa.actions')) continue;
      const created = assertion.data?.actions?.find((action) => action.action === 'c2pa.created');
      if (created?.digitalSourceType !== undefined) summary.digitalSourceType = created.digitalSourceType;
    }
    return summary;
  } finally {
    reader.free();
  }
}
