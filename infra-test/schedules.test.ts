/**
 * Schedules and parked wake-ups, deployed: the examples stack (cdk/app.ts) on a fresh emulator with
 * `currant:everyMinuteSchedule=1`, so EventBridge Scheduler starts the digest example every minute.
 *
 * Covers: a schedule firing starts an instance named `<schedule>@<firing time>` that runs to the
 * end; the same firing delivered again (the schedule function invoked with it once more) starts
 * nothing new; GET /schedules lists the declarations; and the deployed reconciler's sweep (the
 * EventBridge rule, every minute) sends a parked wake-up when it comes due.
 *
 * Emulator limits (ministack 1.5.33), stated where they matter: Scheduler evaluates cron in UTC
 * whatever the time zone and drops ScheduleExpressionTimezone when CloudFormation creates a
 * schedule (the time-zone behaviour is tested on croner and in the synthesized template instead);
 * it does not fill in `<aws.scheduler.scheduled-time>` (the schedule function then takes the firing
 * time from the declaration, functions/schedule.ts); it checks schedules every 10 s and counts a
 * rate from the schedule's creation, so the first firing comes about a minute after the deploy; and
 * it keeps no log of functions it invokes from EventBridge (the sweep, the schedule function), so
 * their effects are checked instead of their log lines.
 */
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeInstance } from '../adapters/aws/item.ts';
import { CurrantApi } from './client.ts';
import { bootstrap, deployStack, REGION, restApiUrl, startEmulator, type Emulator } from './emulator.ts';

let emu: Emulator | undefined;
let out: Record<string, string>;
let api: CurrantApi;
let dynamo: DynamoDBClient;
let failed = false;

beforeAll(async () => {
  emu = await startEmulator();
  await bootstrap(emu);
  out = await deployStack(emu, { stack: 'CurrantExamples', context: { 'currant:everyMinuteSchedule': '1' } });
  api = new CurrantApi(restApiUrl(emu, out.ApiId!, out.ApiStage!), { region: REGION });
  dynamo = new DynamoDBClient({ endpoint: emu.endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}, 600_000);

afterAll(async () => {
  if (failed && emu) {
    const lines = readFileSync(emu.logFile, 'utf8').split('\n');
    process.stderr.write(`--- last lines of ${emu.logFile} ---\n${lines.slice(-80).join('\n')}\n`);
  }
  dynamo?.destroy();
  await emu?.stop();
});

async function step<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    failed = true;
    throw e;
  }
}

const logLines = (needle: string) => readFileSync(emu!.logFile, 'utf8').split('\n').filter((l) => l.includes(needle));

/** Invokes a deployed function directly (the Lambda REST API; the emulator does not check signatures). */
async function invoke(functionName: string, payload: unknown): Promise<any> {
  const res = await fetch(`${emu!.endpoint}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`, { method: 'POST', body: JSON.stringify(payload) });
  expect(res.status).toBe(200);
  return res.json();
}

describe('schedules and parked wake-ups on the emulator', () => {
  it('lists the schedules: the digest example\'s and the every-minute one', () =>
    step(async () => {
      const r = await api.request('GET', '/schedules');
      expect(r.status).toBe(200);
      const items = r.body.items as { name: string; nextFiring: string | null }[];
      expect(items).toEqual([
        { name: 'daily-digest', workflow: 'dailyDigest', cron: '0 6 * * *', timeZone: 'Europe/Paris', nextFiring: expect.stringMatching(/^\d{4}-\d\d-\d\dT0[45]:00:00Z$/) },
        { name: 'digest-every-minute', workflow: 'dailyDigest', rate: '1m', nextFiring: null },
      ]);
    }));

  it('a firing starts one instance named after the schedule and the firing time; the same firing again starts nothing', () =>
    step(async () => {
      // Scheduler counts the rate from the deploy: the first firing comes within about 70 s.
      let first: { id: string; status: string } | undefined;
      const until = Date.now() + 180_000;
      while (!first && Date.now() < until) {
        const r = await api.request('GET', '/instances?workflow=dailyDigest');
        first = (r.body.items as { id: string; status: string }[]).find((i) => i.id.startsWith('digest-every-minute@'));
        if (!first) await new Promise((res) => setTimeout(res, 2_000));
      }
      expect(first, 'no firing of digest-every-minute within 3 minutes').toBeDefined();
      expect(first!.id).toMatch(/^digest-every-minute@\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
      const done = await api.waitForEnd(first!.id, 60_000);
      expect(done).toMatchObject({ workflow: 'dailyDigest', status: 'completed', input: { region: 'test' }, result: 'test: 5 open orders' });

      // The same firing delivered again (Scheduler's retry, or Lambda's): the existing instance.
      const firedAt = first!.id.slice('digest-every-minute@'.length);
      const again = await invoke(out.ScheduleFunctionName!, {
        schedule: 'digest-every-minute',
        workflow: 'dailyDigest',
        rate: '1m',
        input: { region: 'test' },
        scheduledTime: firedAt,
      });
      expect(again).toMatchObject({ outcome: 'exists', id: first!.id, status: 'completed', substituted: true });
      // As the emulator's Scheduler delivers it (the firing time not filled in): taken from the
      // declaration and the clock, so within this minute it names the current minute's firing.
      const fallback = await invoke(out.ScheduleFunctionName!, { schedule: 'digest-every-minute', workflow: 'dailyDigest', rate: '1m', input: { region: 'test' }, scheduledTime: '<aws.scheduler.scheduled-time>' });
      expect(fallback).toMatchObject({ substituted: false, id: expect.stringMatching(/^digest-every-minute@\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/) });
      const refused = await invoke(out.ScheduleFunctionName!, { schedule: 'x', workflow: 'dailyDigest', rate: '1m', input: { region: 7 }, scheduledTime: firedAt });
      expect(refused).toMatchObject({ outcome: 'refused' });
      const ids = ((await api.request('GET', '/instances?workflow=dailyDigest&limit=100')).body.items as { id: string }[]).map((i) => i.id);
      expect(ids.filter((id) => id === first!.id)).toHaveLength(1);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.every((id) => id.startsWith('digest-every-minute@'))).toBe(true); // nothing started by the refused payload
    }), 300_000);

  it('the deployed sweep sends a parked wake-up when it comes due, and the instance moves on', () =>
    step(async () => {
      const { body } = await api.start('approval', { requestId: 'req-parked', amount: 10 });
      await api.waitFor(body.id, (i) => i.pending.signals.some((s) => s.name === 'approval'));
      // Park its wake-up as a long timer would be (a message no longer carries it): another id, due
      // in 20 s, in the byPark index. The message in flight for the 5 s timeout then arrives stale.
      // Only the sweep can move this instance now (the repair's grace is 5 minutes).
      const raw = (await dynamo.send(new GetItemCommand({ TableName: out.TableName!, Key: { id: { S: body.id } }, ConsistentRead: true }))).Item!;
      const item = decodeInstance(raw);
      const at = new Date(Date.now() + 20_000).toISOString();
      await dynamo.send(
        new UpdateItemCommand({
          TableName: out.TableName!,
          Key: { id: { S: body.id } },
          UpdateExpression: 'SET wakeId = :id, wakeAt = :at, parkAt = :key, version = :next',
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: {
            ':id': { S: 'parked-wake' },
            ':at': { S: at },
            ':key': { S: `${at}#${body.id}` },
            ':v': { N: String(item.version) },
            ':next': { N: String(item.version + 1) },
          },
        }),
      );
      const done = await api.waitForEnd(body.id, 150_000);
      expect(done).toMatchObject({ status: 'completed', result: 'expired: nobody answered in time' });
      // (Functions the emulator runs from EventBridge write no log it keeps: the sweep's own lines are
      // not visible here. What shows it worked: the wake-up in flight arrived stale and was dropped,
      // the sweep's mark for this item's shard moved to its key, and no repair was needed.)
      expect(logLines('"duplicate event"').some((l) => l.includes(body.id) && l.includes('"result":"stale"'))).toBe(true);
      const marks = (await dynamo.send(new GetItemCommand({ TableName: out.TableName!, Key: { id: { S: 'sweep#byPark' } }, ConsistentRead: true }))).Item!;
      expect(Object.values(marks).map((v) => v.S)).toContain(`${at}#${body.id}`);
      expect(logLines('instance repaired').some((l) => l.includes(body.id))).toBe(false);
    }), 200_000);
});
