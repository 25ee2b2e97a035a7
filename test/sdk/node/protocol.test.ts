// The protocol as three parties see it must agree: docs/protocol.md's examples, the Node SDK, and
// the engine's parser of event-queue messages (adapters/aws/messages.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEventMessage, taskMessage } from '../../../adapters/aws/messages.ts';
import { parseTaskMessage, runTaskMessage, TaskError, type ResultMessage } from '../../../sdk/node/index.ts';

const doc = readFileSync(join(import.meta.dirname, '../../../docs/protocol.md'), 'utf8');

/** Every JSON object in the doc's code blocks that names a protocol. */
function docMessages(protocol: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const block of doc.matchAll(/```json\n([\s\S]*?)```/g)) {
    const text = block[1]!.trim();
    // A block holds one object, possibly pretty-printed, or several one-line objects.
    const candidates = text.startsWith('{\n') ? [text] : text.split(/\n(?=\{)/);
    for (const c of candidates) {
      const m = JSON.parse(c) as Record<string, unknown>;
      if (m.protocol === protocol) out.push(m);
    }
  }
  return out;
}

describe('docs/protocol.md', () => {
  it('has task messages the SDK accepts', () => {
    const messages = docMessages('currant.task.v1');
    expect(messages.length).toBeGreaterThanOrEqual(3);
    for (const m of messages) expect(parseTaskMessage(m)).toEqual({ ok: true, message: m });
  });

  it('has result messages the engine accepts', () => {
    const messages = docMessages('currant.result.v1');
    expect(messages.length).toBeGreaterThanOrEqual(4);
    for (const m of messages) {
      const parsed = parseEventMessage(JSON.stringify(m), 'results');
      expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
    }
  });
});

describe('SDK ↔ engine', () => {
  const command = { type: 'sendTask' as const, instanceId: 'i-1', taskId: 'n3.s1.2', task: 'charge', args: ['o1', 5], attempt: 2, timeoutMs: 1000, token: 'tok-7' };

  it('accepts the task messages the engine builds', () => {
    expect(parseTaskMessage(JSON.stringify(taskMessage(command, 'https://q/events'))).ok).toBe(true);
  });

  it('produces result messages the engine maps to the right runtime events', async () => {
    const sent: ResultMessage[] = [];
    const send = async (_url: string, m: ResultMessage) => void sent.push(m);
    const body = JSON.stringify(taskMessage(command, 'https://q/events'));
    await runTaskMessage({ charge: async (id: string, n: number) => ({ id, n }) }, body, send);
    await runTaskMessage(
      {
        charge: async () => {
          throw new TaskError('declined', { type: 'CardDeclined', retryable: false });
        },
      },
      body,
      send,
    );
    const [ok, failed] = sent.map((m) => parseEventMessage(JSON.stringify(m), 'results'));
    expect(ok).toMatchObject({
      ok: true,
      instanceId: 'i-1',
      event: { type: 'taskResult', taskId: 'n3.s1.2', attempt: 2, token: 'tok-7', ok: true, result: { id: 'o1', n: 5 } },
    });
    expect(failed).toMatchObject({
      ok: true,
      event: { type: 'taskResult', taskId: 'n3.s1.2', attempt: 2, ok: false, error: { message: 'declined', type: 'CardDeclined', retryable: false } },
    });
  });
});
