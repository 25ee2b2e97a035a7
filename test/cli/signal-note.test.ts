/**
 * `currant signal` to an instance that no `run` or `worker` process is running: the signal is
 * saved (exit 0) and a note says so, with the commands that resume it. Processes announce
 * themselves next to the database (cli/commands/presence.ts); a stand-in process plays one here.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../adapters/embedded/index.ts';
import { applyHere } from '../../cli/commands/shared.ts';
import { runningProcesses } from '../../cli/commands/presence.ts';
import { startWorkflow } from '../../runtime/driver.ts';
import { cli, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const SOURCE = `task t(x: number): number\nworkflow w(n: number) {\n  const go = await signal("go")\n  return await t(n)\n}`;

async function waitingInstance(db: string, id: string): Promise<void> {
  const store = new SqliteStore(db);
  await startWorkflow(applyHere(store), { source: SOURCE, file: 'waits.workflow' }, { n: 1 }, { id });
  store.close();
}

describe('currant signal when nothing runs the instance', () => {
  it('saves the signal, exit 0, and says how to resume the instance', async () => {
    const db = join(tmp.dir, 'nobody.db');
    await waitingInstance(db, 'w-1');
    const r = await cli(['signal', 'w-1', 'go', '{}', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('signal "go" sent to w-1 (now running)');
    expect(r.stderr).toContain('note: no currant process is running w-1 right now: the signal is saved, and what it unblocks runs once the instance is resumed:');
    expect(r.stderr).toContain(`  currant worker --tasks <module> --db ${db}`);
    expect(r.stderr).toContain(`  or: currant run waits.workflow --tasks <module> --input '{"n":1}' --id w-1 --db ${db}`);
  });

  it('says nothing when a live process announced itself for the database; names the tasks of one that died', async () => {
    const db = join(tmp.dir, 'somebody.db');
    await waitingInstance(db, 'w-2');
    const standIn = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const folder = `${db}.processes`;
      mkdirSync(folder, { recursive: true });
      const presence = { pid: standIn.pid, host: (await import('node:os')).hostname(), kind: 'worker', tasks: ['my/tasks.ts', 'my/tasks.py'], startedAt: new Date().toISOString() };
      writeFileSync(join(folder, `${standIn.pid}.json`), JSON.stringify(presence));
      expect(runningProcesses(db).map((p) => p.pid)).toEqual([standIn.pid]);
      const r = await cli(['signal', 'w-2', 'go', '{}', '--db', db]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
    } finally {
      standIn.kill('SIGKILL');
      await new Promise((res) => standIn.once('exit', res));
    }
    // Killed: its file is stale now, and its tasks modules make the suggested command.
    await waitingInstance(db, 'w-3');
    const r = await cli(['signal', 'w-3', 'go', '{}', '--db', db]);
    expect(r.stderr).toContain(`  currant worker --tasks my/tasks.ts --tasks my/tasks.py --db ${db}`);
    expect(runningProcesses(db)).toEqual([]);
  });
});
