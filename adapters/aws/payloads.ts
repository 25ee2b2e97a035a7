/**
 * Large values on AWS: which values travel as references to blobs (blobs.ts) instead of inline,
 * and the engine's two sides of that exchange with task workers (docs/protocol.md, "Large values").
 *
 * Takes a blob store and a task command, or a result event and its reference; gives the fields a
 * task message carries, or the result read back:
 *
 *   await taskRefs(blobs, cmd)
 *   // => { argsRef?: { url, bytes }, resultUpload: { url, maxBytes } }   (argsRef only past INLINE_ARGS_MAX)
 *   await readResult(blobs, instanceId, event, { bytes })
 *   // => the event with `result` read from results/<instance>/<task>-<attempt>.json, or a failed attempt
 *
 * Why presigned URLs: a task function then needs no S3 permission at all, and the one it gets in
 * its message lets it write exactly one object — the result of its own attempt (the key names the
 * instance, task and attempt; a URL cannot be bent to another key). Another attempt's result, or
 * the engine's state, is out of its reach, which keeps the attempt-token rules of "Who may send
 * what" intact. A URL expires (an hour past the attempt's timeout, at least an hour; temporary
 * credentials may cut that short): a task that finds its URL expired reports a retryable failure and
 * the next attempt gets a fresh one.
 */
import { createHash } from 'node:crypto';
import { checkValue, LIMITS, MAX_VALUE_BYTES, type DispatchCommand, type TaskResultEvent } from '../../runtime/index.ts';
import { blobKeys, type BlobStore } from './blobs.ts';

/** Arguments whose JSON is larger than this go to a blob (the whole task message must stay under SQS's 256 KiB). */
export const INLINE_ARGS_MAX = 200 * 1024;
/** Longest a presigned URL may live (SigV4's limit: 7 days). */
const MAX_URL_SECONDS = 7 * 24 * 3600;

export interface TaskRefs {
  /** Where the arguments are (instead of `args`): a GET URL and the JSON's size. */
  argsRef?: { url: string; bytes: number };
  /** Where to PUT a result too large for the result message, and how large it may be. */
  resultUpload?: { url: string; maxBytes: number };
}

/** How long a task message's URLs live: the attempt's timeout plus an hour, within SigV4's week. */
export function urlSeconds(timeoutMs: number): number {
  return Math.min(MAX_URL_SECONDS, Math.max(3600, Math.ceil(timeoutMs / 1000) + 3600));
}

/**
 * The references one task message carries: a result upload URL always, and the arguments' blob
 * when their JSON is over INLINE_ARGS_MAX (stored under its content hash; storing it again on each
 * attempt renews it for the bucket's lifecycle rule).
 */
export async function taskRefs(blobs: BlobStore, cmd: Extract<DispatchCommand, { type: 'sendTask' }>): Promise<TaskRefs> {
  const seconds = urlSeconds(cmd.timeoutMs);
  const refs: TaskRefs = {
    resultUpload: { url: await blobs.presignPut(blobKeys.result(cmd.instanceId, cmd.taskId, cmd.attempt), seconds), maxBytes: MAX_VALUE_BYTES },
  };
  const json = JSON.stringify(cmd.args);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > INLINE_ARGS_MAX) {
    const key = blobKeys.args(cmd.instanceId, createHash('sha256').update(json).digest('hex'));
    await blobs.put(key, json);
    refs.argsRef = { url: await blobs.presignGet(key, seconds), bytes };
  }
  return refs;
}

/**
 * A result the task stored aside (its message says `resultRef`), read back from the one key its
 * attempt's URL could write. Whatever goes wrong becomes a failed attempt, which the runtime
 * applies only if the message's token is the attempt's (so a forged reference changes nothing):
 * missing (`RESULT_MISSING`, retryable), over 10 MiB (`RESULT_TOO_LARGE`), not JSON (`InvalidResult`).
 */
export async function readResult(blobs: BlobStore | undefined, instanceId: string, event: TaskResultEvent): Promise<TaskResultEvent> {
  const { type: _t, ok: _o, ...base } = event as TaskResultEvent & { result?: unknown; error?: unknown };
  delete (base as { result?: unknown }).result;
  delete (base as { error?: unknown }).error;
  const failed = (type: string, message: string, retryable = true): TaskResultEvent => ({ ...base, type: 'taskResult', ok: false, error: { message, type, retryable } });
  if (!blobs) return failed('RESULT_MISSING', 'the task stored its result aside, but this engine has no blob store');
  const key = blobKeys.result(instanceId, event.taskId, event.attempt);
  const r = await blobs.get(key, MAX_VALUE_BYTES);
  if ('missing' in r) return failed('RESULT_MISSING', `the task's stored result (${key}) is not there`);
  if ('tooLarge' in r) return failed('RESULT_TOO_LARGE', `the task's stored result takes ${r.tooLarge} bytes, over the limit of ${MAX_VALUE_BYTES}`, false);
  let value: unknown;
  try {
    value = JSON.parse(r.body.toString('utf8'));
  } catch (e) {
    return failed('InvalidResult', `the task's stored result is not JSON: ${(e as Error).message}`, false);
  }
  // Depth and size are the runtime's to judge (RESULT_TOO_DEEP / RESULT_TOO_LARGE), as for inline results;
  // checked here only so that a value nested past the limit never reaches recursive code unchecked.
  const fits = checkValue(value, LIMITS.taskResult, 'the stored result');
  if (!fits.ok && fits.code === 'VALUE_TOO_DEEP') return failed('RESULT_TOO_DEEP', fits.message, false);
  return { ...base, type: 'taskResult', ok: true, result: value as never };
}
