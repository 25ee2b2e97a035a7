/**
 * A small client for the deployed REST API, signing each request with SigV4 (the API uses IAM
 * authorization), plus polling helpers. Works against the emulator and real AWS alike.
 *
 * Takes the API's base URL and credentials; gives typed calls:
 *
 *   const api = new CurrantApi(restApiUrl(emu, out.ApiId, out.ApiStage), { region: 'us-east-1' });
 *   const started = await api.start('processOrder', { orderId: 'o1', amount: 5 });
 *   const done = await api.waitFor(started.body.id, (i) => i.status === 'completed');
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

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

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface Reply<T = any> {
  status: number;
  body: T;
}

/** What GET /instances/{id} returns (functions/view.ts), the parts the tests read. */
export interface InstanceView {
  id: string;
  workflow: string;
  status: 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';
  input: Record<string, unknown>;
  result?: unknown;
  error?: { code: string; message: string };
  version: number;
  createdAt: string;
  updatedAt: string;
  pending: {
    tasks: { taskId: string; task: string; attempt: number }[];
    timers: { timerId: string; purpose: string; fireAt: string }[];
    signals: { name: string }[];
  };
  steps: { at: string; kind: string; task?: string; taskId?: string; attempt?: number; outcome: string }[];
  /** Present while the workflow compensates after a cancel. */
  cancelling?: { at: string; reason: string; until: string };
  variables?: Record<string, unknown> | null;
  /** A child workflow's parent (runtime/view.ts). */
  parent?: { id: string; awaited: boolean };
  /** The child workflows it started. */
  children?: { id: string; workflow: string; status: string; line: number; startedAt: string }[];
}

export class CurrantApi {
  private readonly signer: SignatureV4;

  constructor(
    readonly baseUrl: string,
    opts: { region: string; credentials?: Credentials },
  ) {
    this.signer = new SignatureV4({
      service: 'execute-api',
      region: opts.region,
      credentials: opts.credentials ?? {
        accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
        sessionToken: process.env.AWS_SESSION_TOKEN,
      },
      sha256: Sha256,
    });
  }

  /** One signed request; the body is JSON-encoded unless it is already a string. */
  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    const url = new URL(this.baseUrl.replace(/\/$/, '') + path);
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const query: Record<string, string> = {};
    url.searchParams.forEach((v, k) => (query[k] = v));
    const signed = await this.signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query,
      headers: {
        host: url.host,
        ...(text !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: text,
    });
    const res = await fetch(url, { method, headers: signed.headers, body: text });
    const raw = await res.text();
    let parsed: unknown = raw;
    try {
      parsed = raw ? JSON.parse(raw) : null;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T };
  }

  start(workflow: string, input: unknown, id?: string): Promise<Reply<InstanceView>> {
    return this.request('POST', `/workflows/${encodeURIComponent(workflow)}/instances`, id === undefined ? { input } : { input, id });
  }

  get(id: string): Promise<Reply<InstanceView>> {
    return this.request('GET', `/instances/${encodeURIComponent(id)}`);
  }

  list(query: Record<string, string> = {}): Promise<Reply<{ items: { id: string; workflow: string; status: string }[]; cursor?: string }>> {
    const qs = new URLSearchParams(query).toString();
    return this.request('GET', `/instances${qs ? `?${qs}` : ''}`);
  }

  signal(id: string, name: string, payload: unknown): Promise<Reply> {
    return this.request('POST', `/instances/${encodeURIComponent(id)}/signals/${encodeURIComponent(name)}`, payload);
  }

  cancel(id: string, reason?: string): Promise<Reply<InstanceView>> {
    return this.request('POST', `/instances/${encodeURIComponent(id)}/cancel`, reason === undefined ? {} : { reason });
  }

  /** Polls GET /instances/{id} until `done(instance)`; throws with the last view on timeout. */
  async waitFor(id: string, done: (i: InstanceView) => boolean, timeoutMs = 60_000): Promise<InstanceView> {
    const deadline = Date.now() + timeoutMs;
    let last: Reply<InstanceView> | undefined;
    for (;;) {
      last = await this.get(id);
      if (last.status === 200 && done(last.body)) return last.body;
      if (Date.now() > deadline) {
        throw new Error(`instance ${id}: condition not met within ${timeoutMs} ms; last: ${JSON.stringify(last.body, null, 2)}`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** Waits for a final status (completed, failed, cancelled). */
  waitForEnd(id: string, timeoutMs?: number): Promise<InstanceView> {
    return this.waitFor(id, (i) => ['completed', 'failed', 'cancelled'].includes(i.status), timeoutMs);
  }
}
