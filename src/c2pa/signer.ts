/**
 * `openC2paSigner`: a user's credentials checked (credentials.ts), the library loaded, and one small
 * image of every format the run writes signed and read back — all before the run spends anything, so a
 * certificate the library refuses or a format it cannot sign stops the run at the start (UsageError).
 */

import { AssetgenError, UsageError } from '../errors.js';
import type { ImageFormat } from '../image/formats.js';
import { IPTC_SOURCE_TYPES } from '../provenance/xmp.js';
import { createCoseSigner } from './cose-sign1.js';
import { type C2paSigningOptions, loadC2paCredentials } from './credentials.js';
import { BytesBlob, C2PA_PACKAGE, loadC2paLibrary } from './library.js';
import type { C2paManifestDefinition } from './manifest-definition.js';
import { readC2pa } from './read.js';

export type { C2paSigningOptions } from './credentials.js';

const TRAINED = IPTC_SOURCE_TYPES.trained;

export interface C2paSigner {
  /** The signer certificate's CN, as the manifest and readers show it. */
  signer: string;
  /** What besides the file and the manifest definition decides the signed bytes (chain and library). */
  identity: { chainSha256: string; library: string };
  /** The file with the manifest embedded; signs one file at a time. */
  sign(bytes: Uint8Array, contentType: string, definition: C2paManifestDefinition): Promise<Uint8Array>;
}

/** The failure codes in the library's refusal (its message is a Rust debug dump), else the message. */
export function refusalReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const failures = message.slice(message.indexOf('failure: ['));
  const codes = [...failures.matchAll(/code: "([^"]+)"[^}]*?explanation: Some\("([^"]*)"\)/g)]
    .map((match) => `${match[1]} (${match[2]})`)
    .filter((code) => !code.startsWith('signingCredential.untrusted'));
  return codes.length > 0 ? codes.join(', ') : message.slice(0, 300);
}

export async function openC2paSigner(
  options: C2paSigningOptions,
  cwd: string,
  formats: readonly ImageFormat[],
  sample: (format: ImageFormat) => Promise<Uint8Array>,
): Promise<C2paSigner> {
  const credentials = await loadC2paCredentials(options, cwd);
  const { library, version } = await loadC2paLibrary();
  const cose = createCoseSigner(credentials.algorithm, credentials.key, credentials.chain);
  const definition = {
    alg: credentials.algorithm.name,
    reserveSize: cose.reserveSize,
    sign: async (claim: Uint8Array<ArrayBuffer>) => cose.sign(claim) as Uint8Array<ArrayBuffer>,
  };
  let queue: Promise<unknown> = Promise.resolve();
  const signOnce = async (bytes: Uint8Array, contentType: string, manifest: C2paManifestDefinition) => {
    const builder = library.WasmBuilder.fromJson(JSON.stringify(manifest));
    try {
      return await builder.sign(definition, [], contentType, new BytesBlob(bytes) as unknown as Blob);
    } finally {
      builder.free();
    }
  };
  const signer: C2paSigner = {
    signer: credentials.signer,
    identity: { chainSha256: credentials.chainSha256, library: `${C2PA_PACKAGE} ${version}` },
    sign(bytes, contentType, manifest) {
      const result = queue.then(() => signOnce(bytes, contentType, manifest));
      queue = result.catch(() => {});
      return result.catch((error: unknown) => {
        throw new AssetgenError('C2PA_SIGN', `C2PA signing failed: ${refusalReason(error)}`);
      });
    },
  };
  for (const format of formats)
    await trialSign(signOnce, format, await sample(format), credentials.signer, options.cert);
  return signer;
}

async function trialSign(
  sign: (bytes: Uint8Array, contentType: string, manifest: C2paManifestDefinition) => Promise<Uint8Array>,
  format: ImageFormat,
  bytes: Uint8Array,
  signerName: string,
  certPath: string,
): Promise<void> {
  const contentType = `image/${format}`;
  const manifest: C2paManifestDefinition = {
    claim_generator_info: [{ name: 'assetgen', version: 'check' }],
    title: `check.${format}`,
    format: contentType,
    assertions: [
      { label: 'c2pa.actions', data: { actions: [{ action: 'c2pa.created', digitalSourceType: TRAINED }] } },
    ],
  };
  const refused = (reason: string) =>
    new UsageError(
      `C2PA signing of ${format} with ${certPath} (${signerName}) is refused by ${C2PA_PACKAGE}: ${reason}`,
    );
  let signed: Uint8Array;
  try {
    signed = await sign(bytes, contentType, manifest);
  } catch (error) {
    throw refused(refusalReason(error));
  }
  const summary = await readC2pa(signed, contentType);
  if (summary === undefined) throw refused('the signed file has no manifest when read back');
  if (summary.validationState === 'Invalid')
    throw refused(`the signed file does not validate: ${summary.failures.join('; ')}`);
}
