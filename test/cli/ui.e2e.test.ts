/** `currant ui` as a real process: serves the viewer on 127.0.0.1 until SIGTERM. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, eventually, fixture, spawnCurrant, tempDir } from './helpers.ts';

const tmp = tempDir();
afterAll(tmp.cleanup);

describe('currant ui', { timeout: 90_000 }, () => {
  it('serves the list of a database on 127.0.0.1 and stops cleanly on SIGTERM', async () => {
    const db = join(tmp.dir, 'ui.db');
    const run = await cli(['run', fixture('greet.workflow'), '--tasks', fixture('tasks.ts'), '--input', '{"name":"ui","times":1}', '--db', db, '--id', 'g-1']);
    expect(run.code, run.stderr).toBe(0);
    const ui = spawnCurrant(['ui', '--db', db, '--port', '0']);
    const url = await eventually(async () => /currant ui: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(ui.stdout())?.[1], 60_000, 'the ui URL');
    const list = (await (await fetch(`${url}api/instances`)).json()) as { items: { id: string; status: string }[]; counts: Record<string, number> };
    expect(list.items).toEqual([expect.objectContaining({ id: 'g-1', status: 'completed' })]);
    expect(list.counts).toEqual({ completed: 1 });
    expect((await fetch(url)).headers.get('content-type')).toContain('text/html');
    ui.child.kill('SIGTERM');
    const done = await ui.done;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('SIGTERM, stopping');
  });

});
