/**
 * The viewer over a deployed engine: every read and action is a call to its HTTP API
 * (functions/api.ts), signed with SigV4 for `execute-api` with the caller's AWS credentials (the
 * SDK's default chain: environment, shared config and SSO, container and instance roles), so the
 * API's IAM authorization applies to the viewer exactly as to any other client.
 *
 * Takes the API's base URL (the `ApiUrl` output, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/prod`);
 * gives a `ViewerBackend`. The region comes from `opts.region`, else `AWS_REGION`, else the URL.
 *
 *   const backend = await remoteBackend('https://abc.execute-api.eu-west-1.amazonaws.com/prod');
 *
 * What the API offers and the embedded database has beyond it: no counts by status, no time range
 * or id-prefix search (exact id only), and no per-step states (the AWS engine keeps the step log,
 * not a state per step; see docs/viewer.md), so the page hides those parts.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { ApiError, graphOf, type ViewerBackend } from './backend.ts';
import type { Capabilities, InstanceJson, InstanceList, Json, Summary } from './types.ts';

export interface RemoteOptions {
  region?: string;
  /** Explicit credentials (tests); default: the AWS SDK's default provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Send requests unsigned (an emulator deployed with IAM authorization off). */
  unsigned?: boolean;
}

type Signer = { sign: (req: unknown) => Promise<{ headers: Record<string, string> }> };

function bytes(d: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof d === 'string') return d;
  if (d instanceof ArrayBuffer) return new Uint8Array(d);
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** node:crypto as the hash SignatureV4 wants (`update` + async `digest`). */
class Sha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

/** The region of an `execute-api` URL (`…execute-api.<region>.amazonaws.com…`), if it names one. */
export function regionOf(url: string): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(url)?.[1];
}

async function makeSigner(region: string, opts: RemoteOptions): Promise<Signer> {
  // Loaded only for --api: the embedded viewer needs no AWS packages (they are the deploying
  // side's: devDependencies here, next to aws-cdk-lib and the SDK clients).
  let sig: typeof import('@smithy/signature-v4');
  let chain: typeof import('@aws-sdk/credential-provider-node') | undefined;
  try {
    sig = await import('@smithy/signature-v4');
    if (!opts.credentials) chain = await import('@aws-sdk/credential-provider-node');
  } catch {
    throw new ApiError(400, 'MISSING_PACKAGE', 'signing needs @smithy/signature-v4 and @aws-sdk/credential-provider-node: npm install them (or pass --unsigned for an emulator)');
  }
  const { SignatureV4 } = sig;
  const credentials = opts.credentials ?? chain!.defaultProvider();
  return new SignatureV4({ service: 'execute-api', region, credentials, sha256: Sha256 }) as unknown as Signer;
}

export async function remoteBackend(apiUrl: string, opts: RemoteOptions = {}): Promise<ViewerBackend> {
  let base: URL;
  try {
    base = new URL(apiUrl.replace(/\/+$/, ''));
  } catch {
    throw new ApiError(400, 'INPUT_INVALID', `--api must be the API's URL, got '${apiUrl}'`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new ApiError(400, 'INPUT_INVALID', `--api must be an http(s) URL, got '${apiUrl}'`);
  const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? regionOf(apiUrl) ?? 'us-east-1';
  const signer = opts.unsigned ? undefined : await makeSigner(region, opts);

  async function call<T>(method: 'GET' | 'POST', path: string, body?: Json, headers: Record<string, string> = {}): Promise<T> {
    const url = new URL(base.href + path);
    const text = body === undefined ? undefined : JSON.stringify(body);
    let sendHeaders: Record<string, string> = { host: url.host, ...(text !== undefined ? { 'content-type': 'application/json' } : {}), ...headers };
    if (signer) {
      const query: Record<string, string> = {};
      url.searchParams.forEach((v, k) => (query[k] = v));
      const signed = await signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query,
        headers: sendHeaders,
        body: text,
      });
      sendHeaders = signed.headers;
    }
    const { host: _host, ...fetchHeaders } = sendHeaders;
    const res = await fetch(url, { method, headers: fetchHeaders, body: text, signal: AbortSignal.timeout(30_000) });
    const raw = await res.text();
    let parsed: unknown;
    try {
      parsed = raw ? JSON.parse(raw) : null;
    } catch {
      throw new ApiError(502, 'BAD_GATEWAY', `the API answered ${res.status} with a body that is not JSON`);
    }
    if (!res.ok) {
      const e = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      const message = typeof e?.message === 'string' ? e.message : typeof (parsed as { message?: unknown })?.message === 'string' ? (parsed as { message: string }).message : `HTTP ${res.status}`;
      throw new ApiError(res.status, typeof e?.code === 'string' ? e.code : `HTTP_${res.status}`, message);
    }
    return parsed as T;
  }
  const enc = encodeURIComponent;

  return {
    async capabilities(): Promise<Capabilities> {
      const w = await call<{ items: { name: string }[] }>('GET', '/workflows');
      return {
        source: base.href,
        mode: 'api',
        counts: false,
        timeFilter: false,
        idPrefix: false,
        history: false,
        historyNote: 'the AWS engine keeps the step log (the last 200 steps with their lines and outcomes), not the state at each step: variables are shown as they are now',
        workflows: w.items.map((x) => x.name).sort(),
      };
    },

    async list(q): Promise<InstanceList> {
      if (q.q) {
        // the API looks ids up exactly (no prefix search without a scan)
        try {
          const i = await call<InstanceJson>('GET', `/instances/${enc(q.q)}`);
          const s: Summary = { id: i.id, workflow: i.workflow, status: i.status, createdAt: i.createdAt, updatedAt: i.updatedAt };
          if (i.result !== undefined) s.result = i.result;
          if (i.error !== undefined) s.error = i.error;
          if (i.at) s.at = i.at;
          return { items: [s] };
        } catch (e) {
          if (e instanceof ApiError && e.status === 404) return { items: [] };
          throw e;
        }
      }
      const qs = new URLSearchParams();
      if (q.workflow) qs.set('workflow', q.workflow);
      if (q.status) qs.set('status', q.status);
      qs.set('limit', String(Math.min(100, q.limit ?? 25)));
      if (q.cursor) qs.set('cursor', q.cursor);
      return call<InstanceList>('GET', `/instances?${qs}`);
    },

    async instance(id) {
      let instance: InstanceJson;
      try {
        instance = await call<InstanceJson>('GET', `/instances/${enc(id)}`);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return undefined;
        throw e;
      }
      const def = await call<{ hash: string; workflow: string; file: string; source: string }>('GET', `/definitions/${enc(instance.definitionHash)}`).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      });
      return { instance, definition: def, graph: def ? graphOf(def.source, def.file) : null };
    },

    async version() {
      return undefined;
    },

    signal(id, name, payload, key) {
      return call<InstanceJson>('POST', `/instances/${enc(id)}/signals/${enc(name)}`, payload, { 'idempotency-key': key });
    },

    cancel(id, reason) {
      return call<InstanceJson>('POST', `/instances/${enc(id)}/cancel`, reason === undefined ? {} : { reason });
    },

    redrive(id, key) {
      return call<InstanceJson>('POST', `/instances/${enc(id)}/redrive`, {}, { 'idempotency-key': key });
    },

    async close() {},
  };
}
