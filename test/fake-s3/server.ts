/**
 * A small S3 stand-in: a real HTTP server on 127.0.0.1 that speaks enough of the S3 REST API, path-style
 * (`/bucket/key`), for `@aws-sdk/client-s3`: GET, HEAD, PUT, DELETE of objects, ListObjectsV2, HeadBucket
 * and CreateBucket, with the conditional writes AWS S3 documents — `If-None-Match: *` on PUT (412 when the
 * key exists) and `If-Match: <etag>` on PUT and DELETE (412 when the version differs, 404 when there is no
 * object). Objects live in memory. Every request is counted and logged (method, key, query) for tests, and the
 * test can read or rewrite objects directly (`objects`). A request whose access key is not the configured
 * one is refused with 403 InvalidAccessKeyId (signatures are not checked).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeObject {
  body: Buffer;
  etag: string;
  contentType: string;
  modified: Date;
}

export interface FakeS3Request {
  method: string;
  bucket: string;
  key: string;
  /** The query string's parameters (a listing's `prefix`, `max-keys`, …). */
  query: URLSearchParams;
  status: number;
}

export interface FakeS3 {
  /** `http://127.0.0.1:port`: give it as `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** bucket → key → object. */
  readonly buckets: Map<string, Map<string, FakeObject>>;
  /** Every request answered, oldest first. */
  readonly requests: FakeS3Request[];
  /** Writes an object as a client would (new etag). */
  putObject(bucket: string, key: string, body: Buffer | string): void;
  /** Client connections open now (with `keepIdleConnections`, only a client that closes ends them). */
  openConnections(): number;
  close(): Promise<void>;
}

export interface FakeS3Options {
  /** Buckets that exist from the start (default `assetgen-test`). */
  buckets?: readonly string[];
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Never close an idle keep-alive connection (Node's default closes it after 5 s). */
  keepIdleConnections?: boolean;
}

const xmlEscape = (text: string): string =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const encoding = String(request.headers['content-encoding'] ?? '');
  const sha = String(request.headers['x-amz-content-sha256'] ?? '');
  return encoding.includes('aws-chunked') || sha.startsWith('STREAMING-') ? decodeChunked(raw) : raw;
}

/** `aws-chunked` bodies: `hex-size[;chunk-signature=…]\r\n data \r\n` … `0\r\n` trailers. */
function decodeChunked(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const end = raw.indexOf('\r\n', at);
    if (end < 0) break;
    const size = Number.parseInt(raw.subarray(at, end).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(raw.subarray(end + 2, end + 2 + size));
    at = end + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function sendError(response: ServerResponse, status: number, code: string, message: string, head: boolean) {
  response.statusCode = status;
  response.setHeader('content-type', 'application/xml');
  response.end(
    head
      ? undefined
      : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`,
  );
}

export async function startFakeS3(options: FakeS3Options = {}): Promise<FakeS3> {
  const accessKeyId = options.accessKeyId ?? 'fake-access-key';
  const secretAccessKey = options.secretAccessKey ?? 'fake-secret-key-not-real';
  const buckets = new Map<string, Map<string, FakeObject>>(
    (options.buckets ?? ['assetgen-test']).map((name) => [name, new Map()]),
  );
  const requests: FakeS3Request[] = [];
  const write = (objects: Map<string, FakeObject>, key: string, body: Buffer, contentType: string) => {
    const etag = `"${createHash('md5')
      .update(body)
      .update(String(Date.now() + Math.random()))
      .digest('hex')}"`;
    objects.set(key, { body, etag, contentType, modified: new Date() });
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const head = method === 'HEAD';
    const [bucketPart = '', ...keyParts] = url.pathname.slice(1).split('/');
    const bucket = decodeURIComponent(bucketPart);
    const key = keyParts.map(decodeURIComponent).join('/');
    const body = await readBody(request);
    response.on('finish', () =>
      requests.push({ method, bucket, key, query: url.searchParams, status: response.statusCode }),
    );

    const auth = String(request.headers.authorization ?? '');
    const credential = /Credential=([^/]+)\//.exec(auth)?.[1];
    if (credential !== accessKeyId) {
      sendError(
        response,
        403,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist.',
        head,
      );
      return;
    }
    const objects = buckets.get(bucket);
    if (key === '') {
      if (method === 'PUT') {
        if (objects === undefined) buckets.set(bucket, new Map());
        response.end();
        return;
      }
      if (objects === undefined) {
        sendError(response, 404, 'NoSuchBucket', 'The specified bucket does not exist', head);
        return;
      }
      if (head) {
        response.end();
        return;
      }
      if (method === 'GET' && url.searchParams.get('list-type') === '2') {
        listObjects(response, bucket, objects, url.searchParams);
        return;
      }
      sendError(response, 501, 'NotImplemented', `${method} on a bucket is not implemented here`, head);
      return;
    }
    if (objects === undefined) {
      sendError(response, 404, 'NoSuchBucket', 'The specified bucket does not exist', head);
      return;
    }
    const current = objects.get(key);
    const ifMatch = request.headers['if-match'];
    const ifNoneMatch = request.headers['if-none-match'];
    if (method === 'GET' || head) {
      if (current === undefined) {
        sendError(response, 404, 'NoSuchKey', 'The specified key does not exist.', head);
        return;
      }
      response.setHeader('etag', current.etag);
      response.setHeader('content-type', current.contentType);
      response.setHeader('content-length', current.body.length);
      response.setHeader('last-modified', current.modified.toUTCString());
      response.end(head ? undefined : current.body);
      return;
    }
    if (method === 'PUT' || method === 'DELETE') {
      if (ifMatch !== undefined) {
        if (current === undefined) {
          sendError(response, 404, 'NoSuchKey', 'The specified key does not exist.', false);
          return;
        }
        if (ifMatch !== current.etag) {
          sendError(
            response,
            412,
            'PreconditionFailed',
            'At least one of the pre-conditions you specified did not hold',
            false,
          );
          return;
        }
      }
      if (method === 'PUT') {
        if (ifNoneMatch === '*' && current !== undefined) {
          sendError(
            response,
            412,
            'PreconditionFailed',
            'At least one of the pre-conditions you specified did not hold',
            false,
          );
          return;
        }
        write(objects, key, body, String(request.headers['content-type'] ?? 'application/octet-stream'));
        response.setHeader('etag', objects.get(key)?.etag ?? '');
        response.end();
        return;
      }
      objects.delete(key);
      response.statusCode = 204;
      response.end();
      return;
    }
    sendError(response, 405, 'MethodNotAllowed', `${method} is not allowed`, head);
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      sendError(response, 500, 'InternalError', String(error), false);
    });
  });
  if (options.keepIdleConnections === true) server.keepAliveTimeout = 0;
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accessKeyId,
    secretAccessKey,
    buckets,
    requests,
    putObject(bucket, key, body) {
      const objects = buckets.get(bucket);
      if (objects === undefined) throw new Error(`no bucket ${bucket}`);
      write(objects, key, Buffer.from(body), 'application/octet-stream');
    },
    openConnections: () => sockets.size,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function listObjects(
  response: ServerResponse,
  bucket: string,
  objects: Map<string, FakeObject>,
  query: URLSearchParams,
): void {
  const prefix = query.get('prefix') ?? '';
  const maxKeys = Math.min(Number(query.get('max-keys') ?? 1000), 1000);
  const after = query.get('continuation-token') ?? query.get('start-after') ?? '';
  const keys = [...objects.keys()].filter((key) => key.startsWith(prefix) && key > after).sort();
  const page = keys.slice(0, maxKeys);
  const truncated = keys.length > page.length;
  const contents = page
    .map((key) => {
      const object = objects.get(key) as FakeObject;
      return `<Contents><Key>${xmlEscape(key)}</Key><LastModified>${object.modified.toISOString()}</LastModified><ETag>${xmlEscape(object.etag)}</ETag><Size>${object.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    })
    .join('');
  response.setHeader('content-type', 'application/xml');
  response.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${truncated ? `<NextContinuationToken>${xmlEscape(page[page.length - 1] ?? '')}</NextContinuationToken>` : ''}</ListBucketResult>`,
  );
}
