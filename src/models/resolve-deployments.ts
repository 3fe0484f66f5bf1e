/**
 * Before a recipe is validated: the model version each deployment it names runs (`deployment:` steps).
 * With a token it is looked up every time (a deployment's owner moves its release at will, and a run goes
 * to whatever release is current, so a pin could only be stale); without one (offline, `--frozen`,
 * `check`) it is read from the lock's pin. The release's model version is then resolved like any model
 * named with a version (resolve-models.ts): its schema fetched once, stored in the cache, offline after.
 */
import { ProviderError } from '../errors.js';
import type { LockedDeployment } from '../store/lock.js';
import type { DeploymentRelease } from './catalog.js';

/** What resolution needs from Replicate (providers/replicate/model-lookup.ts). */
export interface DeploymentSource {
  deployment(ref: string, signal: AbortSignal): Promise<DeploymentRelease>;
}

export interface ResolvedDeployments {
  /** By deployment `owner/name`: what its current release runs (looked up, or the lock's pin). */
  releases: Map<string, DeploymentRelease>;
  /** Deployments Replicate said it does not have. */
  missing: Set<string>;
  /** Deployments neither looked up nor pinned (no token, never run with one). */
  unknown: Set<string>;
}

export async function resolveDeployments(
  refs: readonly string[],
  options: {
    pins: Readonly<Record<string, LockedDeployment>> | undefined;
    source?: DeploymentSource | undefined;
    signal: AbortSignal;
  },
): Promise<ResolvedDeployments> {
  const result: ResolvedDeployments = { releases: new Map(), missing: new Set(), unknown: new Set() };
  await Promise.all(
    [...new Set(refs)].map(async (ref) => {
      const pin = options.pins?.[ref];
      if (options.source === undefined) {
        if (pin === undefined) result.unknown.add(ref);
        else result.releases.set(ref, { model: pin.model, version: pin.version });
        return;
      }
      try {
        result.releases.set(ref, await options.source.deployment(ref, options.signal));
      } catch (error) {
        // Told at the step that names it, by validation.
        if (error instanceof ProviderError && error.code === 'REPLICATE_DEPLOYMENT_NOT_FOUND')
          result.missing.add(ref);
        else throw error;
      }
    }),
  );
  return result;
}
