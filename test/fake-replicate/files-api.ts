/**
 * The files API: `POST /files` (multipart, part `content`, optional `filename`/`type`/`metadata`),
 * `GET /files`, `GET /files/{id}`, `DELETE /files/{id}`, `GET /files/{id}/download`.
 */
import { createHash } from 'node:crypto';
import { isoTime, jsonReply, newId, notFound, problem, type Reply } from './http.js';
import type { DeliveredFile } from './predictions.js';
import type { ReplyProfile } from './types.js';

export interface StoredFile {
  id: string;
  name: string;
  contentType: string;
  body: Buffer;
  metadata: Record<string, unknown>;
  createdAt: number;
  expiresAt: number;
}

export interface FilesApi {
  upload(body: Buffer, contentType: string | undefined): Promise<Reply>;
  get(id: string): Reply;
  list(): Reply;
  remove(id: string): Reply;
  download(id: string): Reply;
  /** Bytes of a live upload (for inputs given as files-API URLs). */
  bytes(id: string): DeliveredFile | undefined;
  readonly files: ReadonlyMap<string, StoredFile>;
}

export interface FilesApiOptions {
  origin: string;
  now(): number;
  /** Clock ms an upload lives. */
  ttlClockMs: number;
  maxBytes: number;
  /** `recorded`: file objects carry only `urls.get` (no recorded upload had `urls.download`). */
  profile: ReplyProfile;
}

export function createFilesApi(options: FilesApiOptions): FilesApi {
  const files = new Map<string, StoredFile>();
  const live = (id: string): StoredFile | undefined => {
    const file = files.get(id);
    return file !== undefined && options.now() < file.expiresAt ? file : undefined;
  };
  const json = (f: StoredFile) => ({
    id: f.id,
    name: f.name,
    content_type: f.contentType,
    size: f.body.length,
    etag: createHash('md5').update(f.body).digest('hex'),
    checksums: {
      sha256: createHash('sha256').update(f.body).digest('hex'),
      md5: createHash('md5').update(f.body).digest('hex'),
    },
    metadata: f.metadata,
    created_at: isoTime(f.createdAt),
    expires_at: isoTime(f.expiresAt),
    urls:
      options.profile === 'recorded'
        ? { get: `${options.origin}/v1/files/${f.id}` }
        : {
            get: `${options.origin}/v1/files/${f.id}`,
            download: `${options.origin}/v1/files/${f.id}/download?expiry=${Math.floor(f.expiresAt / 1000)}&signature=fake`,
          },
  });

  return {
    files,
    async upload(body, contentType) {
      if (!contentType?.toLowerCase().startsWith('multipart/form-data')) {
        return problem(400, 'Expected a multipart/form-data body with a "content" part');
      }
      let form: FormData;
      try {
        form = await new Response(new Uint8Array(body), {
          headers: { 'content-type': contentType },
        }).formData();
      } catch {
        return problem(400, 'Malformed multipart body');
      }
      const content = form.get('content');
      if (content === null || typeof content === 'string') return problem(400, 'Missing "content" file part');
      if (content.size > options.maxBytes) return problem(413, 'Files must be less than 100MB in size');
      const metaPart = form.get('metadata');
      const metaText =
        metaPart === null ? '{}' : typeof metaPart === 'string' ? metaPart : await metaPart.text();
      let metadata: Record<string, unknown> = {};
      try {
        metadata = JSON.parse(metaText) as Record<string, unknown>;
      } catch {
        return problem(400, 'metadata must be a JSON object');
      }
      const filename = form.get('filename');
      const type = form.get('type');
      const now = options.now();
      const file: StoredFile = {
        id: newId(),
        name: typeof filename === 'string' ? filename : content.name,
        contentType: typeof type === 'string' ? type : content.type || 'application/octet-stream',
        body: Buffer.from(await content.arrayBuffer()),
        metadata,
        createdAt: now,
        expiresAt: now + options.ttlClockMs,
      };
      files.set(file.id, file);
      return jsonReply(201, json(file));
    },
    get(id) {
      const file = live(id);
      return file === undefined ? notFound() : jsonReply(200, json(file));
    },
    list() {
      const results = [...files.keys()]
        .map(live)
        .filter((f): f is StoredFile => f !== undefined)
        .reverse()
        .map(json);
      return jsonReply(200, { previous: null, next: null, results });
    },
    remove(id) {
      if (live(id) === undefined) return notFound();
      files.delete(id);
      return { kind: 'body', status: 204, headers: {}, body: Buffer.alloc(0) };
    },
    download(id) {
      const file = live(id);
      if (file === undefined) return problem(404, 'File not found');
      return {
        kind: 'body',
        status: 200,
        headers: { 'content-type': 'application/octet-stream' },
        body: file.body,
      };
    },
    bytes(id) {
      const file = live(id);
      return file === undefined ? undefined : { body: file.body, contentType: file.contentType };
    },
  };
}
