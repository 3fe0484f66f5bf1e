/**
 * Deployments: `GET /deployments/{owner}/{name}` (the deployment with its `current_release`: model, version,
 * configuration) and the set a test configures (`options.deployments`, `fake.deployments.set`). A release
 * names a model the fake serves and one of its versions (default: the latest when it is set); creates
 * through `POST /deployments/{owner}/{name}/predictions` run that version (predictions-api.ts).
 */
import { jsonReply, notFound, type Reply } from './http.js';
import type { FakeModel, FakeVersion, ModelRegistry } from './models.js';

export interface FakeDeploymentSpec {
  /** `owner/name` of the deployment. */
  ref: string;
  /** `owner/name` of the model its current release runs. */
  model: string;
  /** The release's version (default: the model's latest when the deployment is set). */
  version?: string;
  hardware?: string;
}

export interface FakeDeployment {
  ref: string;
  model: FakeModel;
  version: FakeVersion;
  /** Release number, 1 for the first; every `set` of an existing deployment makes a new release. */
  release: number;
  hardware: string;
  createdAt: string;
}

export interface DeploymentSet {
  /** Creates the deployment or makes a new release of it. */
  set(spec: FakeDeploymentSpec): FakeDeployment;
  get(ref: string): FakeDeployment | undefined;
}

export interface DeploymentsApi {
  get(ref: string): Reply;
}

export function createDeploymentSet(registry: ModelRegistry, now: () => number): DeploymentSet {
  const deployments = new Map<string, FakeDeployment>();
  return {
    set(spec) {
      const model = registry.byRef(spec.model);
      if (model === undefined) throw new Error(`fake deployment ${spec.ref}: no model ${spec.model}`);
      const version =
        spec.version === undefined ? model.latest : model.versions.find((v) => v.id === spec.version);
      if (version === undefined) throw new Error(`fake deployment ${spec.ref}: no version ${spec.version}`);
      const release = (deployments.get(spec.ref)?.release ?? 0) + 1;
      const deployment: FakeDeployment = {
        ref: spec.ref,
        model,
        version,
        release,
        hardware: spec.hardware ?? 'gpu-t4',
        createdAt: new Date(now()).toISOString(),
      };
      deployments.set(spec.ref, deployment);
      return deployment;
    },
    get: (ref) => deployments.get(ref),
  };
}

export function deploymentJson(deployment: FakeDeployment): Record<string, unknown> {
  const [owner = '', name = ''] = deployment.ref.split('/');
  return {
    owner,
    name,
    current_release: {
      number: deployment.release,
      model: deployment.model.ref,
      version: deployment.version.id,
      created_at: deployment.createdAt,
      created_by: { type: 'user', username: 'fake-user', name: 'Fake User', github_url: null },
      configuration: { hardware: deployment.hardware, min_instances: 0, max_instances: 1 },
    },
  };
}

export function createDeploymentsApi(set: DeploymentSet): DeploymentsApi {
  return {
    get(ref) {
      const deployment = set.get(ref);
      return deployment === undefined ? notFound() : jsonReply(200, deploymentJson(deployment));
    },
  };
}
