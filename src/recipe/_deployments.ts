/**
 * Deployment steps (`deployment: owner/name`): each becomes, for every later pass, a step of its current
 * release's model at the release's version (`model: owner/name:version`, from model resolution), so its
 * input is checked against that version's schema and it plans, keys and prices like one; `deployment`
 * stays on the step (the provider runs it through the deployment). Problems the later passes find at the
 * step's `model` are located at its `deployment` (`redirect`). A deployment Replicate does not have, or
 * one never looked up nor pinned, is a problem here.
 */
import type { Catalog } from '../models/catalog.js';
import { isRecord, type PathSegment } from './_paths.js';
import type { ProblemSink } from './_problems.js';

export interface AppliedDeployments {
  data: Record<string, unknown>;
  redirect?: (segments: readonly PathSegment[]) => readonly PathSegment[] | undefined;
}

export function applyDeployments(
  data: Record<string, unknown>,
  catalog: Catalog,
  problems: ProblemSink,
): AppliedDeployments {
  if (!Array.isArray(data.steps)) return { data };
  const replaced = new Set<number>();
  const steps = data.steps.map((step, index) => {
    if (!isRecord(step) || typeof step.deployment !== 'string') return step;
    const at = ['steps', index, 'deployment'];
    const ref = step.deployment;
    if (step.model !== undefined) {
      problems.add(at, 'a step names model: or deployment:, not both; remove one of them', { at: 'key' });
      return step;
    }
    if (step.official !== undefined) {
      problems.add(
        ['steps', index, 'official'],
        `a deployment runs the model of its release (Replicate says which); remove official: ${String(step.official)}`,
        { at: 'key' },
      );
    }
    const release = catalog.deployments?.get(ref);
    if (release === undefined) {
      const notFound = catalog.deploymentsNotFound;
      problems.add(
        at,
        notFound?.missing.has(ref) === true
          ? `Replicate has no deployment "${ref}" that this token can see; check the name and the token's account`
          : `deployment "${ref}" was never looked up, so its model and inputs are unknown; run once with ` +
              'REPLICATE_API_TOKEN set (a run pins its release in assetgen.lock, then this works offline)',
      );
      return step;
    }
    replaced.add(index);
    return { ...step, model: `${release.model}:${release.version}` };
  });
  if (replaced.size === 0) return { data };
  return {
    data: { ...data, steps },
    redirect: (segments) => {
      const [head, index, field] = segments;
      if (head !== 'steps' || typeof index !== 'number' || field !== 'model' || !replaced.has(index))
        return undefined;
      return ['steps', index, 'deployment', ...segments.slice(3)];
    },
  };
}
