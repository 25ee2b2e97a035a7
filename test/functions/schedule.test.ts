// The schedule function (EventBridge Scheduler's target) over the in-memory store: one instance per
// firing, named after the schedule and the firing time; a repeated firing starts nothing new; a
// firing time the emulator did not fill in comes from the declaration; payloads that do not check
// are refused, not retried. And GET /schedules, from the declarations the construct passes the api.
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApiHandler, schedulesFromEnv } from '../../functions/api.ts';
import { fireSchedule } from '../../functions/schedule.ts';
import { indexWorkflows } from '../../functions/workflows.ts';
import { MemoryStore, ProgramCache, RecordingDispatcher, type RuntimeDeps } from '../../runtime/index.ts';

const REPORT = 'task build(day: string): string\nworkflow nightlyReport(day: string): string { const r = await build(day)\n return r }';
const registry = indexWorkflows([{ file: 'report.workflow', source: REPORT }]);

function deps(nowIso = '2026-03-01T10:00:05.000Z'): RuntimeDeps & { store: MemoryStore; dispatcher: RecordingDispatcher } {
  const store = new MemoryStore();
  let n = 0;
  return { store, dispatcher: new RecordingDispatcher(), programs: new ProgramCache(store), clock: { now: () => new Date(nowIso), uuid: () => `u${++n}` } };
}

const firing = (extra: Record<string, unknown> = {}) => ({
  schedule: 'nightly',
  workflow: 'nightlyReport',
  cron: '0 2 * * *',
  timeZone: 'Europe/Paris',
  input: { day: 'yesterday' },
  scheduledTime: '2026-03-01T01:00:00Z',
  ...extra,
});

describe('fireSchedule', () => {
  it('starts one instance per firing, named <schedule>@<firing time>; a repeated firing starts nothing new', async () => {
    const d = deps();
    const r = await fireSchedule(d, () => registry, firing(), new Date('2026-03-01T01:00:02Z'));
    expect(r).toEqual({ outcome: 'started', schedule: 'nightly', id: 'nightly@2026-03-01T01:00:00Z', status: 'running', scheduledTime: '2026-03-01T01:00:00.000Z', substituted: true });
    expect(await d.store.load('nightly@2026-03-01T01:00:00Z')).toMatchObject({ workflow: 'nightlyReport', input: { day: 'yesterday' } });
    expect(d.dispatcher.take().filter((c) => c.type === 'sendTask')).toHaveLength(1);
    // Scheduler retried the same firing (or Lambda did): the same instance, its first task re-sent.
    const again = await fireSchedule(d, () => registry, firing(), new Date('2026-03-01T01:03:00Z'));
    expect(again).toMatchObject({ outcome: 'exists', id: 'nightly@2026-03-01T01:00:00Z' });
    expect((await d.store.list({})).items).toHaveLength(1);
  });

  it('takes the firing time from the declaration when Scheduler did not fill it in (the emulator)', async () => {
    const d = deps();
    const r = await fireSchedule(d, () => registry, firing({ scheduledTime: '<aws.scheduler.scheduled-time>' }), new Date('2026-03-01T01:00:07Z'));
    expect(r).toMatchObject({ outcome: 'started', id: 'nightly@2026-03-01T01:00:00Z', substituted: false });
    const rate = await fireSchedule(d, () => registry, firing({ schedule: 'often', cron: undefined, timeZone: undefined, rate: '15m', scheduledTime: undefined }), new Date('2026-03-01T01:16:40Z'));
    expect(rate).toMatchObject({ outcome: 'started', id: 'often@2026-03-01T01:15:00Z' });
  });

  it('refuses payloads that do not check, without throwing (a retry could not help), and starts nothing', async () => {
    const d = deps();
    const now = new Date('2026-03-01T01:00:00Z');
    expect(await fireSchedule(d, () => registry, null, now)).toEqual({ outcome: 'refused', reason: 'the event is not a JSON object' });
    expect(await fireSchedule(d, () => registry, firing({ workflow: 'nope' }), now)).toEqual({ outcome: 'refused', reason: "schedule 'nightly': no deployed workflow 'nope'" });
    expect(await fireSchedule(d, () => registry, firing({ cron: '* * *' }), now)).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/five fields/) });
    expect(await fireSchedule(d, () => registry, firing({ extra: 1 }), now)).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/unknown field 'extra'/) });
    expect(await fireSchedule(d, () => registry, firing({ schedule: '../x' }), now)).toMatchObject({ outcome: 'refused' });
    expect(await fireSchedule(d, () => registry, firing({ input: { day: 7 } }), now)).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/schedule 'nightly': .*day/) });
    expect((await d.store.list({})).items).toHaveLength(0);
    // The same firing started before with another input (the declaration changed): refused too.
    await fireSchedule(d, () => registry, firing(), now);
    expect(await fireSchedule(d, () => registry, firing({ input: { day: 'other' } }), now)).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/different input/) });
  });
});

describe('GET /schedules', () => {
  it('lists the declared schedules with the next firing of each cron', async () => {
    const d = deps('2026-03-01T10:00:00.000Z');
    const schedules = schedulesFromEnv({ CURRANT_SCHEDULES: JSON.stringify([{ name: 'nightly', workflow: 'nightlyReport', cron: '0 2 * * *', timeZone: 'Europe/Paris' }, { name: 'often', workflow: 'nightlyReport', rate: '15m' }]) });
    const handler = createApiHandler(() => ({ deps: d, workflows: () => registry, schedules: () => schedules }));
    const res = (await handler({ httpMethod: 'GET', path: '/schedules', headers: {}, body: null, queryStringParameters: null } as unknown as APIGatewayProxyEvent, {} as Context)) as APIGatewayProxyResult;
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      items: [
        { name: 'nightly', workflow: 'nightlyReport', cron: '0 2 * * *', timeZone: 'Europe/Paris', nextFiring: '2026-03-02T01:00:00Z' },
        { name: 'often', workflow: 'nightlyReport', rate: '15m', nextFiring: null },
      ],
    });
    expect(schedulesFromEnv({})).toEqual([]);
    expect(() => schedulesFromEnv({ CURRANT_SCHEDULES: '[{"name":"x"}]' })).toThrow(/CURRANT_SCHEDULES: schedule 'x'/);
  });
});
