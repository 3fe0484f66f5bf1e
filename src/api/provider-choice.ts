/** Which provider a session uses, and creating it (the Replicate driver is loaded only when needed). */
import { FrozenError, UsageError } from '../errors.js';
import { localTaskKeyParts } from '../providers/local/upscaler-choice.js';
import type { LocalUpscaler } from '../providers/local/upscaler-types.js';
import type { Provider } from '../providers/types.js';
import type { ProviderName, ReplicateOptions } from './options.js';

export interface ProviderChoice {
  name: 'local' | 'replicate';
  /** Whether its tasks cost money (budgets apply, the journal is kept, the lock is written). */
  paid: boolean;
  /** Why this provider, in words (the CLI prints it once at the start of a run). */
  reason: string;
}

export function chooseProvider(
  requested: ProviderName | undefined,
  replicate: ReplicateOptions | undefined,
  options: { frozen?: boolean } = {},
): ProviderChoice {
  const token = replicate?.token;
  if (options.frozen === true && requested !== 'local') {
    // Frozen runs never call a provider: they check the replicate results recorded in the cache and lock.
    return {
      name: 'replicate',
      paid: true,
      reason: '--frozen: cached Replicate results only, nothing is created',
    };
  }
  if (requested === 'replicate' || (requested !== 'local' && token)) {
    if (!token) {
      throw new UsageError('--provider replicate needs REPLICATE_API_TOKEN in the environment');
    }
    return { name: 'replicate', paid: true, reason: 'REPLICATE_API_TOKEN is set' };
  }
  return {
    name: 'local',
    paid: false,
    reason:
      requested === 'local'
        ? '--provider local'
        : 'no REPLICATE_API_TOKEN: using the offline local provider (placeholders and stand-ins, no cost)',
  };
}

/** `offlineFallback: false`: `auto` without a token refuses instead of making placeholders (frozen runs spend nothing). */
export function refuseOfflineFallback(options: {
  offlineFallback?: boolean;
  frozen?: boolean;
  provider?: ProviderName;
  replicate?: ReplicateOptions;
}): void {
  if (options.offlineFallback !== false || options.frozen === true) return;
  if ((options.provider ?? 'auto') !== 'auto' || options.replicate?.token) return;
  throw new UsageError(
    'no REPLICATE_API_TOKEN, and falling back to offline placeholders is off (as when CI is set): nothing was run; ' +
      'set REPLICATE_API_TOKEN (e.g. from a repository secret), or pass --provider local to make placeholders on purpose',
  );
}

/**
 * A provider that only names itself (and, offline, its upscaler's key parts): for plans, probes and frozen
 * runs, which never call it but compute the same task keys.
 */
export function offlineStandIn(choice: ProviderChoice, upscaler?: LocalUpscaler): Provider {
  return {
    name: choice.name,
    paid: choice.paid,
    ...(choice.name === 'local' && upscaler !== undefined
      ? { taskKeyParts: (catalog) => localTaskKeyParts(upscaler, catalog) }
      : {}),
    predict: async () => {
      throw new FrozenError(`${choice.name} is not called in this mode`);
    },
  };
}

export async function createProvider(
  choice: ProviderChoice,
  replicate: ReplicateOptions | undefined,
  onWarning: (message: string) => void,
  local: { upscaler?: LocalUpscaler; cwd?: string; workers?: number; prewarm?: boolean } = {},
): Promise<Provider> {
  if (choice.name === 'local') {
    const { createLocalProvider } = await import('../providers/local/index.js');
    return createLocalProvider({
      ...(local.upscaler === undefined ? {} : { upscaler: local.upscaler }),
      ...(local.cwd === undefined ? {} : { cwd: local.cwd }),
      ...(local.workers === undefined ? {} : { workers: local.workers }),
      ...(local.prewarm === undefined ? {} : { prewarm: local.prewarm }),
    });
  }
  const { createReplicateProvider } = await import('../providers/replicate/index.js');
  const options = replicate ?? {};
  const webhook = options.webhook;
  return createReplicateProvider({
    token: options.token ?? '',
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
    ...(options.waitSeconds === undefined ? {} : { waitSeconds: options.waitSeconds }),
    ...(options.stepTimeoutSeconds === undefined ? {} : { stepTimeoutMs: options.stepTimeoutSeconds * 1000 }),
    ...(options.createsPerMinute === undefined ? {} : { createsPerMinute: options.createsPerMinute }),
    ...(webhook === undefined
      ? {}
      : {
          webhook: {
            url: webhook.url,
            listen: { host: webhook.host ?? '127.0.0.1', port: webhook.port ?? 0 },
            ...(webhook.secret === undefined ? {} : { secret: webhook.secret }),
          },
        }),
    onWarning,
  });
}
