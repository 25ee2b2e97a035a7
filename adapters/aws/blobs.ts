/**
 * Values too large for a message or an item, stored aside: the blob port, its S3 implementation and
 * an in-memory one for tests, and the keys the engine uses. (What travels as a reference and when:
 * payloads.ts.)
 *
 * Takes an S3 client (created once per module by the caller) and the bucket; gives put / get /
 * delete and presigned URLs for a task to fetch its arguments or store its result without any S3
 * permission of its own:
 *
 *   const blobs = new S3BlobStore(new S3Client({}), 'currant-payloads');
 *   await blobs.put(blobKeys.args('o1', sha), json);
 *   const url = await blobs.presignGet(blobKeys.args('o1', sha), 3600); // the task message carries it
 *   await blobs.get(blobKeys.result('o1', 'n3.s1', 1), 10 * 2 ** 20);  // { body } | { missing } | { tooLarge }
 *
 * Keys (one bucket, three prefixes; the CDK construct sets a lifecycle rule per prefix):
 *   state/<instance>/<version>-<random>.json.br   an instance document too large for its item
 *   args/<instance>/<sha256 of the JSON>.json     one call's arguments, content-addressed
 *   results/<instance>/<task id>-<attempt>.json   one attempt's result, written by the task
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

// The S3 implementation first: cdk/permissions.ts names its methods as the code making each call.
export class S3BlobStore implements BlobStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  async put(key: string, body: Uint8Array | string, contentType = 'application/json'): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  async get(key: string, maxBytes: number): Promise<BlobRead> {
    let out;
    try {
      out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (e) {
      if (isMissing(e)) return { missing: true };
      throw e;
    }
    const size = out.ContentLength ?? 0;
    if (size > maxBytes) {
      // Not read: a task could have stored gigabytes; the stream is dropped unread.
      (out.Body as { destroy?: () => void } | undefined)?.destroy?.();
      return { tooLarge: size };
    }
    const bytes = await out.Body!.transformToByteArray();
    if (bytes.length > maxBytes) return { tooLarge: bytes.length };
    return { body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length) };
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  presignGet(key: string, seconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: seconds });
  }

  presignPut(key: string, seconds: number): Promise<string> {
    return getSignedUrl(this.client, new PutObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: seconds });
  }
}

export type BlobRead = { body: Buffer } | { missing: true } | { tooLarge: number };

export interface BlobStore {
  put(key: string, body: Uint8Array | string, contentType?: string): Promise<void>;
  /** The object, unless it is missing or over `maxBytes` (then it is not downloaded). */
  get(key: string, maxBytes: number): Promise<BlobRead>;
  /** Removes an object (no error when it is already gone). */
  delete(key: string): Promise<void>;
  /** A URL that lets its holder GET this one object for `seconds`. */
  presignGet(key: string, seconds: number): Promise<string>;
  /** A URL that lets its holder PUT this one object for `seconds`. */
  presignPut(key: string, seconds: number): Promise<string>;
}

/** Characters of ids that go into keys unchanged (instance and task ids are already within them). */
const SAFE = /^[A-Za-z0-9._:@-]+$/;
const part = (s: string) => (SAFE.test(s) ? s : encodeURIComponent(s));

export const blobKeys = {
  state: (instanceId: string, version: number, random: string) => `state/${part(instanceId)}/${version}-${random}.json.br`,
  args: (instanceId: string, sha256: string) => `args/${part(instanceId)}/${sha256}.json`,
  result: (instanceId: string, taskId: string, attempt: number) => `results/${part(instanceId)}/${part(taskId)}-${attempt}.json`,
};

function isMissing(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 404;
}

/**
 * Blobs in memory, for tests: presigned URLs are `memory://get/<key>` and `memory://put/<key>`,
 * which `fetchUrl` / `putUrl` serve (what a task would do over HTTPS).
 */
export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, Buffer>();
  readonly calls: string[] = [];

  async put(key: string, body: Uint8Array | string): Promise<void> {
    this.calls.push(`put ${key}`);
    this.objects.set(key, Buffer.from(body));
  }

  async get(key: string, maxBytes: number): Promise<BlobRead> {
    this.calls.push(`get ${key}`);
    const b = this.objects.get(key);
    if (!b) return { missing: true };
    return b.length > maxBytes ? { tooLarge: b.length } : { body: b };
  }

  async delete(key: string): Promise<void> {
    this.calls.push(`delete ${key}`);
    this.objects.delete(key);
  }

  async presignGet(key: string): Promise<string> {
    return `memory://get/${key}`;
  }

  async presignPut(key: string): Promise<string> {
    return `memory://put/${key}`;
  }

  /** What GET on a presigned URL gives (undefined: 404). */
  fetchUrl(url: string): Buffer | undefined {
    const m = /^memory:\/\/get\/(.+)$/.exec(url);
    return m ? this.objects.get(m[1]!) : undefined;
  }

  /** What PUT on a presigned URL does; false when the URL is not a PUT URL. */
  putUrl(url: string, body: Uint8Array | string): boolean {
    const m = /^memory:\/\/put\/(.+)$/.exec(url);
    if (!m) return false;
    this.objects.set(m[1]!, Buffer.from(body));
    return true;
  }
}
