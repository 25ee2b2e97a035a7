/**
 * `currant signal` refuses a signal past the instance's buffer cap with exit 2 and a clear message,
 * and the instance is unchanged.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SqliteStore } from '../../adapters/embedded/index.ts';
import { main } from '../../cli/main.ts';
import { applyHere } from '../../cli/commands/shared.ts';
import { startWorkflow } from '../../runtime/driver.ts';
import { tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('currant signal past the buffer cap', () => {
  it('is exit 2 with the code in the message, and changes nothing', async () => {
    const db = join(tmp.dir, 'door.db');
    const store = new SqliteStore(db);
    const source = `task t(): any\nworkflow w() {\n  await t()\n  return await signal("go")\n}`;
    await startWorkflow(applyHere(store), { source, file: 'w.workflow' }, {}, { id: 'w-1' });
    const before = await store.load('w-1');
    store.close();
    const payload = join(tmp.dir, 'big.json');
    writeFileSync(payload, JSON.stringify({ blob: 'x'.repeat(70_000) }));
    const errors: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      errors.push(String(s));
      return true;
    });
    let code: number;
    try {
      code = await main(['node', 'currant', 'signal', 'w-1', 'early', `@${payload}`, '--db', db]);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(2);
    expect(errors.join("")).toMatch(/refused the signal \(SIGNAL_TOO_LARGE\): .*over the buffer limit of 65536 bytes/);
    const again = new SqliteStore(db);
    expect(await again.load('w-1')).toEqual(before);
    again.close();
  });
});

describe('currant signal with a typed signal<T>', () => {
  it('is exit 2 with the path of the mismatch, and changes nothing', async () => {
    const db = join(tmp.dir, 'typed.db');
    const store = new SqliteStore(db);
    const source = `type Decision = { approved: boolean, by: string }\ntask t(): any\nworkflow w() {\n  await t()\n  const d = await signal<Decision>("decision")\n  return d.by\n}`;
    await startWorkflow(applyHere(store), { source, file: 'w.workflow' }, {}, { id: 'w-2' });
    const before = await store.load('w-2');
    store.close();
    const errors: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      errors.push(String(s));
      return true;
    });
    let code: number;
    try {
      code = await main(['node', 'currant', 'signal', 'w-2', 'decision', '{"approved": true, "by": 42}', '--db', db]);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(2);
    expect(errors.join('')).toMatch(/refused the signal \(SIGNAL_PAYLOAD_INVALID\): the payload of signal "decision" does not match Decision: \$\.by: expected string, got number/);
    const again = new SqliteStore(db);
    expect(await again.load('w-2')).toEqual(before);
    again.close();
  });
});
