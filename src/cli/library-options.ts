/** Flags and environment → the library's options. The only place that maps `REPLICATE_*` variables. */
import type { ProviderName, ReplicateOptions } from '../api/options.js';
import { UsageError } from '../errors.js';
import { httpUrlProblem } from './option-parsers.js';
import type { CliIO } from './output.js';

export interface ReplicateFlags {
  baseUrl?: string;
  wait?: number;
  stepTimeout?: number;
  webhookUrl?: string;
  webhookPort?: number;
  webhookHost?: string;
}

export function replicateOptions(flags: ReplicateFlags, io: CliIO): ReplicateOptions {
  const token = io.env.REPLICATE_API_TOKEN;
  const baseUrl = flags.baseUrl ?? io.env.REPLICATE_API_BASE_URL;
  const problem = flags.baseUrl === undefined && baseUrl !== undefined ? httpUrlProblem(baseUrl) : undefined;
  if (problem !== undefined) throw new UsageError(`REPLICATE_API_BASE_URL: ${problem}`);
  const secret = io.env.REPLICATE_WEBHOOK_SECRET;
  return {
    ...(token ? { token } : {}),
    ...(baseUrl === undefined ? {} : { baseUrl }),
    ...(flags.wait === undefined ? {} : { waitSeconds: flags.wait }),
    ...(flags.stepTimeout === undefined ? {} : { stepTimeoutSeconds: flags.stepTimeout }),
    ...(flags.webhookUrl === undefined
      ? {}
      : {
          webhook: {
            url: flags.webhookUrl,
            host: flags.webhookHost ?? '127.0.0.1',
            ...(flags.webhookPort === undefined ? {} : { port: flags.webhookPort }),
            ...(secret === undefined ? {} : { secret }),
          },
        }),
  };
}

/**
 * `--c2pa-cert`/`--c2pa-key` (else `ASSETGEN_C2PA_CERT`/`ASSETGEN_C2PA_KEY`) → the run's C2PA signing
 * paths; both or neither.
 */
export function c2paOptions(
  flags: { c2paCert?: string; c2paKey?: string },
  io: CliIO,
): { cert: string; key: string } | undefined {
  const cert = flags.c2paCert ?? (io.env.ASSETGEN_C2PA_CERT || undefined);
  const key = flags.c2paKey ?? (io.env.ASSETGEN_C2PA_KEY || undefined);
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined)
    throw new UsageError(
      `C2PA signing needs both a certificate and its key: give ${cert === undefined ? '--c2pa-cert (or ASSETGEN_C2PA_CERT)' : '--c2pa-key (or ASSETGEN_C2PA_KEY)'} too`,
    );
  return { cert, key };
}

export function providerName(value: string | undefined): ProviderName | undefined {
  if (value === undefined || value === 'auto' || value === 'local' || value === 'replicate') return value;
  throw new UsageError(`unknown provider "${value}" (expected auto, local or replicate)`);
}

/** Whether the environment says this is a CI run: `CI` set to anything but empty, `false` or `0`. */
export function isCi(env: CliIO['env']): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}
