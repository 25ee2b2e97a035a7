/**
 * The examples stack (what `cdk/app.ts` deploys): every task every example workflow calls has a
 * queue and a Lambda, Node modules and Python files are both deployed, and the outputs the
 * emulator tests read are there. Bundling is skipped: this is about the template.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { discoverExamples, ExamplesStack, pythonTaskNames } from '../../cdk/examples.ts';
import { join } from 'node:path';
import { ROOT } from '../../cdk/functions.ts';

describe('ExamplesStack', { timeout: 60_000 }, () => {
  it('deploys a task Lambda per example module and wires every task the workflows call', async () => {
    const examples = await discoverExamples('examples');
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new ExamplesStack(app, 'CurrantExamples', { examples });
    const template = Template.fromStack(stack);

    // each workflow's used tasks are wired (synth would have thrown otherwise), and vice versa
    const used = new Set(stack.engine.workflows.flatMap((w) => [...w.tasks.keys()]));
    for (const t of used) expect(stack.engine.taskNames).toContain(t);
    expect(stack.engine.workflows.map((w) => w.name)).toEqual(expect.arrayContaining(['mixed', 'processOrder', 'approval', 'fanout', 'flaky', 'polling']));

    // the mixed example has a Node half and a Python half
    const mixed = examples.filter((e) => e.example === 'mixed');
    expect(mixed.map((m) => m.language).sort()).toEqual(['node', 'python']);
    const mixedWf = stack.engine.workflows.find((w) => w.name === 'mixed')!;
    const python = new Set(mixed.find((m) => m.language === 'python')!.tasks);
    const node = new Set(mixed.find((m) => m.language === 'node')!.tasks);
    const calls = [...mixedWf.tasks.keys()];
    expect(calls.some((t) => python.has(t))).toBe(true);
    expect(calls.some((t) => node.has(t))).toBe(true);

    const fns = template.findResources('AWS::Lambda::Function');
    const pyFn = fns[stack.getLogicalId(stack.node.findChild('MixedPyTasks').node.defaultChild as CfnFunction)]!;
    expect(pyFn.Properties.Runtime).toMatch(/^python3\./);
    expect(pyFn.Properties.Handler).toBe('tasks.handler');
    const nodeFns = examples.filter((e) => e.language === 'node').length;
    // api + step + reconcile + schedules (the digest example declares one) + one per module
    expect(Object.keys(fns)).toHaveLength(4 + nodeFns + 1);
    expect(stack.engine.scheduleNames).toEqual(['daily-digest']); // from examples/digest/currant.schedules.json
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Name: 'daily-digest', ScheduleExpression: 'cron(0 6 * * ? *)', ScheduleExpressionTimezone: 'Europe/Paris' });

    // a queue and a DLQ per task, plus the event and result queues and their DLQs
    template.resourceCountIs('AWS::SQS::Queue', 2 * stack.engine.taskNames.length + 4);
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(expect.arrayContaining(['ApiId', 'ApiStage', 'TableName', 'EventQueueUrl', 'EventDlqUrl', 'ResultQueueUrl', 'ResultDlqUrl', 'StepLogGroupName', 'ApiHandlerLogGroupName', 'ReconcileLogGroupName', 'DashboardName']));
  });

  it('reads Python task names from the @task decorators', () => {
    expect(pythonTaskNames(join(ROOT, 'examples', 'mixed', 'tasks.py'))).toEqual(['countWords']);
  });
});
