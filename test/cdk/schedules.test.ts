// engine.addSchedule: EventBridge Scheduler schedules that start a workflow per firing, checked at
// synth; the schedule function's grants (exactly cdk/permissions.ts), the role Scheduler uses (invoke
// that one function), the declarations the api lists, and the examples stack's schedule.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime, type CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { CurrantEngine } from '../../cdk/engine.ts';
import { grantsFor } from '../../cdk/permissions.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const REPORT = 'task build(day: string): string\nworkflow nightlyReport(day: string): string { const r = await build(day)\n return r }';

function build(extend: (engine: CurrantEngine) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'currant-cdk-sched-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'report.workflow'), REPORT);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  const engine = new CurrantEngine(stack, 'Engine', { workflows: dir });
  engine.addTask('build', new LambdaFunction(stack, 'BuildFn', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => ({})') }));
  extend(engine);
  return { stack, engine, template: Template.fromStack(stack) };
}

/** action → the logical ids of the resources granted, for a role. */
function grantsOfRole(template: Template, roleId: string): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const p of Object.values(template.findResources('AWS::IAM::Policy'))) {
    if (!p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId)) continue;
    for (const s of p.Properties.PolicyDocument.Statement) {
      for (const a of [s.Action].flat() as string[]) {
        const set = out.get(a) ?? new Set<string>();
        for (const r of [s.Resource].flat()) {
          const json = JSON.stringify(r);
          // the one exception: a key prefix of the payload bucket (engine.test.ts says why)
          const objects = /"\/((?:state|args|results)\/)\*"/.exec(json);
          expect(json.replace(/"\/(state|args|results)\/\*"/, '')).not.toContain('*');
          const m = /"Fn::GetAtt":\["([^"]+)","Arn"\]/.exec(json);
          set.add(m ? (objects ? `${m[1]}/${objects[1]}*` : m[1]!) : json);
        }
        out.set(a, set);
      }
    }
  }
  return new Map([...out].map(([a, s]) => [a, [...s].sort()]));
}

describe('addSchedule', { timeout: 60_000 }, () => {
  it('makes an EventBridge Scheduler schedule per declaration, with its time zone and the input in its target', () => {
    const { stack, engine, template } = build((e) => {
      e.addSchedule('nightly', { workflow: 'nightlyReport', cron: '0 2 * * MON-FRI', timeZone: 'Europe/Paris', input: { day: 'yesterday' } });
      e.addSchedule('often', { workflow: 'nightlyReport', rate: '15m', input: { day: 'today' } });
    });
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')).map((r) => r.Properties);
    const nightly = schedules.find((p) => p.Name === 'nightly')!;
    expect(nightly).toMatchObject({ ScheduleExpression: 'cron(0 2 ? * 2,3,4,5,6 *)', ScheduleExpressionTimezone: 'Europe/Paris', FlexibleTimeWindow: { Mode: 'OFF' }, State: 'ENABLED' });
    expect(JSON.parse(nightly.Target.Input)).toEqual({
      schedule: 'nightly',
      workflow: 'nightlyReport',
      cron: '0 2 * * MON-FRI',
      timeZone: 'Europe/Paris',
      input: { day: 'yesterday' },
      scheduledTime: '<aws.scheduler.scheduled-time>',
    });
    const fnId = stack.getLogicalId(engine.scheduleFunction!.node.defaultChild as CfnFunction);
    expect(nightly.Target.Arn).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    const often = schedules.find((p) => p.Name === 'often')!;
    expect(often.ScheduleExpression).toBe('rate(15 minutes)');
    expect(often.ScheduleExpressionTimezone).toBeUndefined();
    expect(JSON.parse(often.Target.Input)).toMatchObject({ schedule: 'often', rate: '15m', input: { day: 'today' } });
    // Scheduler's role: invoke that one function, nothing else.
    const roleId = often.Target.RoleArn['Fn::GetAtt'][0];
    const role = template.findResources('AWS::IAM::Role')[roleId]!;
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain('scheduler.amazonaws.com');
    expect(Object.fromEntries(grantsOfRole(template, roleId))).toEqual({ 'lambda:InvokeFunction': [fnId] });
    // The api lists the declarations, without their inputs.
    const apiEnv = template.findResources('AWS::Lambda::Function')[stack.getLogicalId(engine.apiFunction.node.defaultChild as CfnFunction)]!.Properties.Environment.Variables;
    expect(JSON.parse(apiEnv.CURRANT_SCHEDULES)).toEqual([
      { name: 'nightly', workflow: 'nightlyReport', cron: '0 2 * * MON-FRI', timeZone: 'Europe/Paris' },
      { name: 'often', workflow: 'nightlyReport', rate: '15m' },
    ]);
    expect(engine.scheduleNames).toEqual(['nightly', 'often']);
  });

  it('grants the schedule function exactly what cdk/permissions.ts lists for it (task queues included)', () => {
    const { stack, engine, template } = build((e) => e.addSchedule('often', { workflow: 'nightlyReport', rate: '1h', input: { day: 'd' } }));
    const fn = engine.scheduleFunction!;
    const roleId = (template.findResources('AWS::Lambda::Function')[stack.getLogicalId(fn.node.defaultChild as CfnFunction)]!.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    const table = stack.getLogicalId(engine.table.node.defaultChild as CfnTable);
    const q = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as CfnQueue);
    const expected = Object.fromEntries(
      grantsFor('schedule').map((g) => [
        g.action,
        [
          ...new Set(
            g.on.flatMap((r) =>
              r === 'table' ? [table]
              : r === 'eventQueue' ? [q(engine.eventQueue)]
              : r.startsWith('payloads:') ? [`${stack.getLogicalId(engine.payloads.node.defaultChild as CfnBucket)}/${r.slice(9)}*`]
              : [q(engine.taskQueue('build')!.queue)],
            ),
          ),
        ].sort(),
      ]),
    );
    expect(Object.fromEntries(grantsOfRole(template, roleId))).toEqual(expected);
  });

  it('refuses at synth, listing every problem: bad cron, unknown workflow, input that does not fit, a name used twice', () => {
    expect(() => build((e) => e.addSchedule('x', { workflow: 'nightlyReport', cron: '0 2 1 * MON', input: { day: 1 as unknown as string } }))).toThrow(
      /schedule 'x': cron "0 2 1 \* MON" sets both the day of month and the day of week/,
    );
    expect(() => build((e) => e.addSchedule('x', { workflow: 'nope', rate: '1h' }))).toThrow(/schedule 'x': no workflow 'nope' in .* \(workflows: nightlyReport\)/);
    expect(() => build((e) => e.addSchedule('x', { workflow: 'nightlyReport', rate: '1h', input: { day: 3 } }))).toThrow(/schedule 'x': its input does not fit nightlyReport: .*day/);
    expect(() =>
      build((e) => {
        e.addSchedule('x', { workflow: 'nightlyReport', rate: '1h', input: { day: 'a' } });
        e.addSchedule('x', { workflow: 'nightlyReport', rate: '2h', input: { day: 'a' } });
      }),
    ).toThrow(/schedule 'x' is already added/);
    expect(() => build((e) => e.addSchedule('bad name', { workflow: 'nightlyReport', rate: '30s', input: { day: 'a' } }))).toThrow(/name must be 1 to 64 .*\n.*must be whole minutes/);
  });

  it('makes no schedule resources when there is no schedule', () => {
    const { template, engine } = build(() => {});
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 0);
    expect(engine.scheduleFunction).toBeUndefined();
  });
});
