/**
 * The models API: `GET /models`, `GET /models/{owner}/{name}` (the model object with `latest_version`),
 * `GET /models/{owner}/{name}/versions` (newest first) and `GET /models/{owner}/{name}/versions/{id}`;
 * and the collections (`GET /collections`, `GET /collections/{slug}`), of which `official` lists the
 * official models (Replicate: "Official models are in the 'official' collection").
 * Shaped like the recorded SDXL replies: every version carries its Cog `openapi_schema`; `is_official` is
 * only in the documented profile (no recorded model object has it).
 */
import { jsonReply, notFound, type Reply } from './http.js';
import type { FakeModel, FakeVersion, ModelRegistry } from './models.js';
import type { ReplyProfile } from './types.js';

export function versionJson(version: FakeVersion): Record<string, unknown> {
  return {
    id: version.id,
    created_at: version.createdAt,
    cog_version: version.cogVersion,
    openapi_schema: version.openapiSchema,
  };
}

export function modelJson(model: FakeModel, profile: ReplyProfile): Record<string, unknown> {
  const json: Record<string, unknown> = {
    url: `https://replicate.com/${model.ref}`,
    owner: model.owner,
    name: model.name,
    description: model.description,
    visibility: 'public',
    github_url: null,
    paper_url: null,
    license_url: null,
    weights_url: null,
    run_count: model.runCount,
    cover_image_url: null,
    created_at: model.createdAt,
    default_example: null,
    latest_version: versionJson(model.latest),
  };
  if (profile === 'documented') json.is_official = model.official;
  return json;
}

const page = (results: unknown[]) => ({ previous: null, next: null, results });

const OFFICIAL = {
  name: 'Official models',
  slug: 'official',
  description: 'Official models are always on, maintained, and have predictable pricing.',
};

export interface ModelsApi {
  list(): Reply;
  collections(): Reply;
  collection(slug: string): Reply;
  get(ref: string): Reply;
  versions(ref: string): Reply;
  version(ref: string, id: string): Reply;
}

export function createModelsApi(registry: ModelRegistry, profile: ReplyProfile): ModelsApi {
  const withModel = (ref: string, reply: (model: FakeModel) => Reply): Reply => {
    const model = registry.byRef(ref);
    return model === undefined ? notFound() : reply(model);
  };
  return {
    list: () => jsonReply(200, page(registry.list().map((m) => modelJson(m, profile)))),
    collections: () => jsonReply(200, page([OFFICIAL])),
    collection: (slug) =>
      slug !== OFFICIAL.slug
        ? notFound()
        : jsonReply(200, {
            ...OFFICIAL,
            full_description: OFFICIAL.description,
            models: registry
              .list()
              .filter((m) => m.official)
              .map((m) => modelJson(m, profile)),
          }),
    get: (ref) => withModel(ref, (model) => jsonReply(200, modelJson(model, profile))),
    versions: (ref) => withModel(ref, (model) => jsonReply(200, page(model.versions.map(versionJson)))),
    version: (ref, id) =>
      withModel(ref, (model) => {
        const version = model.versions.find((v) => v.id === id);
        return version === undefined ? notFound() : jsonReply(200, versionJson(version));
      }),
  };
}
