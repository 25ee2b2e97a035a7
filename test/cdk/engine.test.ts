/**
 * CurrantEngine, asserted by what the synthesized resources do (no snapshots): least-privilege
 * grants, DLQs everywhere, partial batch failures, IAM on the API, and synth failing with the
 * rendered diagnostic for a workflow that does not check or calls a task nobody implements.
 *
 * Bundling is skipped (`aws:cdk:bundling-stacks: []`): these tests are about the template.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime, type CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import type { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TABLE } from '../../adapters/aws/schema.ts';
import { COMPILING_FUNCTION_MB, CurrantEngine, usedTasks } from '../../cdk/engine.ts';
import { ROOT } from '../../cdk/functions.ts';
import { grantsFor, PERMISSIONS, type EngineFunction, type Resource } from '../../cdk/permissions.ts';
import { compile, MAX_SOURCE_LENGTH } from '../../dsl/index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A folder holding the given workflow files. */
function workflowsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'currant-cdk-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const HELLO = `task greet(name: string): string
task shout(text: string): string

workflow hello(name: string): string {
  const g = await greet(name)
  return await shout(g)
}
`;

function newStack(): Stack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, 'Test');
}

function taskFn(stack: Stack, id: string): LambdaFunction {
  return new LambdaFunction(stack, id, {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] })'),
  });
}

/** The engine with `hello` and both its tasks wired: greet and shout on two functions. */
function buildHello(opts: { iamAuth?: boolean; taskMaxConcurrency?: number; taskBatchSize?: number } = {}, extend?: (stack: Stack, engine: CurrantEngine) => void) {
  const stack = newStack();
  const engine = new CurrantEngine(stack, 'Engine', { workflows: workflowsDir({ 'hello.workflow': HELLO }), ...opts });
  const greetFn = taskFn(stack, 'GreetFn');
  const shoutFn = taskFn(stack, 'ShoutFn');
  engine.addTask('greet', greetFn);
  engine.addTask('shout', shoutFn);
  extend?.(stack, engine);
  const template = Template.fromStack(stack);
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as CfnFunction);
  return { stack, engine, template, greetFn, shoutFn, id };
}

// Synthesis is the slow part; the read-only tests share one.
let shared: ReturnType<typeof buildHello> | undefined;
function helloEngine(opts: { iamAuth?: boolean } = {}) {
  if (opts.iamAuth !== undefined) return buildHello(opts);
  return (shared ??= buildHello());
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every statement of the inline policies attached to a function's role, actions as arrays. */
function statementsOf(template: Template, fnLogicalId: string): { actions: string[]; resources: unknown[] }[] {
  const fn = template.findResources('AWS::Lambda::Function')[fnLogicalId];
  if (!fn) throw new Error(`no function ${fnLogicalId}`);
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
    .map((s) => {
      expect(s.Effect).toBe('Allow');
      return { actions: [s.Action].flat(), resources: [s.Resource].flat() };
    });
}

const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

/** The logical ids a set of resources (queue or table ARNs, index ARNs via Fn::Join) point at. */
function targets(resources: unknown[]): string[] {
  return resources.map((r) => {
    const json = JSON.stringify(r);
    const m = /"Fn::GetAtt":\["([^"]+)","Arn"\]/.exec(json);
    if (!m) throw new Error(`unexpected resource ${json}`);
    const index = /\/index\/([^"]+)"/.exec(json);
    const objects = /"\/((?:state|args|results)\/\*)"/.exec(json);
    return index ? `${m[1]}/index/${index[1]}` : objects ? `${m[1]}/${objects[1]}` : m[1]!;
  });
}

/** action → sorted target logical ids, over all statements. */
function grantsOf(template: Template, fnLogicalId: string): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const s of statementsOf(template, fnLogicalId)) {
    for (const a of s.actions) {
      const set = out.get(a) ?? new Set<string>();
      for (const t of targets(s.resources)) set.add(t);
      out.set(a, set);
    }
  }
  return new Map([...out].map(([a, s]) => [a, [...s].sort()]));
}

/**
 * The text of a function or method `name` in a source file: from its declaration to the next
 * declaration at the same indentation (good enough for this repository's formatting).
 */
function functionBody(text: string, name: string): string | undefined {
  const decl = new RegExp(`^( *)(?:export )?(?:async )?(?:private |static )*(?:async )?(?:function )?(?:const )?${name}\\b\\s*[(=<:]`, 'm');
  const m = decl.exec(text);
  if (!m) return undefined;
  const indent = m[1]!;
  const rest = text.slice(m.index + m[0].length);
  const next = new RegExp(`^${indent}(?:export |async |private |static |function |const |/\\*\\*)`, 'm').exec(rest);
  return rest.slice(0, next ? next.index : undefined);
}

const CONSUME = ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'];
const SEND = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'];

// Synthesizing a stack takes a second or more on a loaded machine (aws-cdk-lib is large).
describe('CurrantEngine resources', { timeout: 60_000 }, () => {
  it('has a private payload bucket whose values in transit expire, and tells the api and step functions its name', () => {
    const { template, engine, stack } = helloEngine();
    template.resourceCountIs('AWS::S3::Bucket', 1);
    const bucket = Object.values(template.findResources('AWS::S3::Bucket'))[0]!.Properties;
    expect(bucket.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    const rules = bucket.LifecycleConfiguration.Rules as { Id: string; Prefix?: string; ExpirationInDays?: number; Status: string }[];
    expect(rules.map((r) => [r.Id, r.Prefix, r.ExpirationInDays, r.Status])).toEqual([
      ['args-in-transit', 'args/', 30, 'Enabled'],
      ['results-in-transit', 'results/', 30, 'Enabled'],
      ['abort-incomplete-uploads', undefined, undefined, 'Enabled'],
    ]);
    // state/ never expires: a document lives as long as its item points at it
    expect(rules.some((r) => r.Prefix === 'state/')).toBe(false);
    const bucketRef = { Ref: stack.getLogicalId(engine.payloads.node.defaultChild as CfnBucket) };
    for (const fn of [engine.apiFunction, engine.stepFunction]) {
      const env = template.findResources('AWS::Lambda::Function')[stack.getLogicalId(fn.node.defaultChild as CfnFunction)]!.Properties.Environment.Variables;
      expect(env.CURRANT_PAYLOAD_BUCKET).toEqual(bucketRef);
    }
  });

  it('has one pay-per-request table keyed by id with the adapter schema indexes', () => {
    const { template } = helloEngine();
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    const table = Object.values(template.findResources('AWS::DynamoDB::Table'))[0]!.Properties as CfnTable & Record<string, any>;
    expect(table.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    const gsis = table.GlobalSecondaryIndexes as any[];
    expect(gsis.map((g) => g.IndexName).sort()).toEqual(TABLE.indexes.map((i) => i.name).sort());
    for (const spec of TABLE.indexes) {
      const g = gsis.find((x) => x.IndexName === spec.name);
      expect(g.KeySchema).toEqual([
        { AttributeName: spec.partitionKey, KeyType: 'HASH' },
        { AttributeName: spec.sortKey, KeyType: 'RANGE' },
      ]);
      expect(g.Projection.ProjectionType).toBe(spec.projection);
    }
  });

  it('gives the event queue, the result queue and every task queue a dead-letter queue', () => {
    const { stack, engine, template } = helloEngine();
    const queues = template.findResources('AWS::SQS::Queue');
    const qid = (q: { node: { defaultChild?: unknown } }) => stack.getLogicalId(q.node.defaultChild as CfnQueue);
    const pairs = [
      [engine.eventQueue, engine.eventDlq],
      [engine.resultQueue, engine.resultDlq],
      [engine.taskQueue('greet')!.queue, engine.taskQueue('greet')!.dlq],
      [engine.taskQueue('shout')!.queue, engine.taskQueue('shout')!.dlq],
    ] as const;
    for (const [queue, dlq] of pairs) {
      const redrive = queues[qid(queue)]!.Properties.RedrivePolicy;
      expect(redrive).toEqual({ deadLetterTargetArn: arnOf(qid(dlq)), maxReceiveCount: 5 });
    }
    // 4 queues + 4 DLQs, nothing else
    expect(Object.keys(queues)).toHaveLength(8);
  });

  it('reports partial batch failures on every SQS event source, with small batches', () => {
    const { engine, template, id, stack } = helloEngine();
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).map((m) => m.Properties);
    expect(mappings).toHaveLength(4); // step (events + results) + two tasks
    for (const m of mappings) {
      expect(m.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(m.BatchSize).toBeLessThanOrEqual(10);
    }
    const step = mappings.filter((m) => m.FunctionName.Ref === id(engine.stepFunction)).map((m) => m.EventSourceArn);
    const arn = (q: { node: { defaultChild?: unknown } }) => arnOf(stack.getLogicalId(q.node.defaultChild as CfnQueue));
    expect(step).toEqual([arn(engine.eventQueue), arn(engine.resultQueue)]);
    // no cap on how far task functions scale, unless asked
    for (const m of mappings) expect(m.ScalingConfig).toBeUndefined();
  });

  it('caps the task event sources\' concurrency and sets their batch size when asked', () => {
    const { engine, template, id } = buildHello({ taskMaxConcurrency: 20, taskBatchSize: 10 });
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).map((m) => m.Properties);
    const tasks = mappings.filter((m) => m.FunctionName.Ref !== id(engine.stepFunction));
    expect(tasks).toHaveLength(2);
    for (const m of tasks) expect(m).toMatchObject({ BatchSize: 10, ScalingConfig: { MaximumConcurrency: 20 } });
    for (const m of mappings.filter((x) => x.FunctionName.Ref === id(engine.stepFunction))) expect(m.ScalingConfig).toBeUndefined();
  });

  it('lets a task function consume only its own queue and send only to the result queue (never the event queue)', () => {
    const { stack, engine, template, greetFn, id } = helloEngine();
    const q = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as CfnQueue);
    const grants = grantsOf(template, id(greetFn));
    const own = q(engine.taskQueue('greet')!.queue);
    const results = q(engine.resultQueue);
    expect([...grants.keys()].sort()).toEqual([...new Set([...CONSUME, ...SEND])].sort());
    expect(grants.get('sqs:ReceiveMessage')).toEqual([own]);
    expect(grants.get('sqs:DeleteMessage')).toEqual([own]);
    expect(grants.get('sqs:SendMessage')).toEqual([results]);
    // wake-ups and timers travel on the event queue: a task must not reach it
    expect(JSON.stringify([...grants.values()])).not.toContain(q(engine.eventQueue));
    // the other task's queue is out of reach
    expect(JSON.stringify([...grants.values()])).not.toContain(q(engine.taskQueue('shout')!.queue));
  });

  it('gives the step function item reads/writes, both of its queues, and sends to task queues only', () => {
    const { stack, engine, template, id } = helloEngine();
    const q = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as CfnQueue);
    const table = stack.getLogicalId(engine.table.node.defaultChild as CfnTable);
    const grants = grantsOf(template, id(engine.stepFunction));
    const dynamo = [...grants.keys()].filter((a) => a.startsWith('dynamodb:')).sort();
    // No PutItem: the step function never creates an item (instances and definitions come from the api).
    expect(dynamo).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(grants.get('dynamodb:UpdateItem')).toEqual([table]);
    expect(grants.get('sqs:ReceiveMessage')).toEqual([q(engine.eventQueue), q(engine.resultQueue)].sort());
    expect(grants.get('sqs:SendMessage')).toEqual(
      [q(engine.eventQueue), q(engine.taskQueue('greet')!.queue), q(engine.taskQueue('shout')!.queue)].sort(),
    );
    expect(JSON.stringify([...grants.values()])).not.toMatch(/Dlq/);
  });

  it('gives the api function listing reads but no queue consumption and no deletes', () => {
    const { stack, engine, template, id } = helloEngine();
    const table = stack.getLogicalId(engine.table.node.defaultChild as CfnTable);
    const grants = grantsOf(template, id(engine.apiFunction));
    const dynamo = [...grants.keys()].filter((a) => a.startsWith('dynamodb:')).sort();
    // No Scan (nothing calls it), and Query on the three listing indexes by name, not on the table.
    expect(dynamo).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(grants.get('dynamodb:Query')).toEqual([`${table}/index/byCreated`, `${table}/index/byStatus`, `${table}/index/byWorkflow`]);
    expect(grants.has('sqs:ReceiveMessage')).toBe(false);
    expect(grants.has('sqs:DeleteMessage')).toBe(false);
  });

  it('writes no wildcard in any action or resource of any policy (not even table/index/*)', () => {
    const { template } = helloEngine();
    let statements = 0;
    for (const p of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const s of p.Properties.PolicyDocument.Statement as Statement[]) {
        statements++;
        for (const a of [s.Action].flat()) expect(a).not.toContain('*');
        // The one exception: S3 object grants, which name a key prefix of the payload bucket
        // (keys are made at run time): `<bucket>/state/*`, `/args/*`, `/results/*`, nothing wider.
        for (const r of [s.Resource].flat()) expect(JSON.stringify(r).replace(/"\/(state|args|results)\/\*"/, '"/$1/"')).not.toContain('*');
      }
    }
    expect(statements).toBeGreaterThan(10);
  });

  it('grants each function exactly what cdk/permissions.ts lists, and nothing its code does not call', () => {
    const { stack, engine, template, id, greetFn } = helloEngine();
    const table = stack.getLogicalId(engine.table.node.defaultChild as CfnTable);
    const q = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as CfnQueue);
    const taskQueues = engine.taskNames.map((n) => q(engine.taskQueue(n)!.queue));
    const resolve = (r: Resource): string[] =>
      r === 'table' ? [table]
      : r.startsWith('index:') ? [`${table}/index/${r.slice(6)}`]
      : r === 'eventQueue' ? [q(engine.eventQueue)]
      : r === 'resultQueue' ? [q(engine.resultQueue)]
      : r.startsWith('payloads:') ? [`${stack.getLogicalId(engine.payloads.node.defaultChild as CfnBucket)}/${r.slice(9)}*`]
      : taskQueues;
    // What Lambda's event source mapping calls on the queues a function consumes (not our code).
    const esm = new Set(CONSUME);
    const fns: [EngineFunction, { node: { defaultChild?: unknown } }, string[]][] = [
      ['api', engine.apiFunction, []],
      ['step', engine.stepFunction, [q(engine.eventQueue), q(engine.resultQueue)]],
      ['reconcile', engine.reconcileFunction, []],
      ['task', greetFn, [q(engine.taskQueue('greet')!.queue)]],
    ];
    for (const [name, fn, consumed] of fns) {
      const granted = grantsOf(template, id(fn));
      const expected = new Map<string, string[]>();
      for (const g of grantsFor(name)) expected.set(g.action, [...new Set(g.on.flatMap(resolve))].sort());
      for (const a of esm) if (consumed.length > 0) expected.set(a, [...new Set([...(expected.get(a) ?? []), ...consumed])].sort());
      expect(Object.fromEntries([...granted].sort()), name).toEqual(Object.fromEntries([...expected].sort()));
    }
  });

  it('names, for every permission, code that really makes that call', () => {
    for (const [fn, perms] of Object.entries(PERMISSIONS)) {
      for (const p of perms) {
        const text = readFileSync(join(ROOT, p.file), 'utf8');
        for (const name of p.in) {
          const body = functionBody(text, name);
          expect(body, `${fn}: ${p.action} — ${p.file} has no function or method '${name}'`).toBeDefined();
          expect(body, `${fn}: ${p.action} — ${p.file} ${name} does not construct ${p.command}`).toContain(`new ${p.command}(`);
        }
      }
    }
  });

  it('protects every API method with IAM by default, and can turn it off', () => {
    const methods = (t: Template) => Object.values(t.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties);
    const on = methods(helloEngine().template);
    expect(on.length).toBeGreaterThanOrEqual(2); // ANY / and ANY /{proxy+}
    for (const m of on) expect(m.AuthorizationType).toBe('AWS_IAM');
    for (const m of methods(helloEngine({ iamAuth: false }).template)) expect(m.AuthorizationType).toBe('NONE');
  });

  it('grants execute-api:Invoke to a caller through grantInvokeApi', () => {
    let caller: LambdaFunction | undefined;
    const { stack, template } = buildHello({}, (st, engine) => {
      caller = taskFn(st, 'Caller');
      engine.grantInvokeApi(caller);
    });
    const actions = statementsOf(template, stack.getLogicalId(caller!.node.defaultChild as CfnFunction)).flatMap((s) => s.actions);
    expect(actions).toEqual(['execute-api:Invoke']);
  });

  it('tells the api and step functions where the table, the event queue and each task queue are', () => {
    const { engine, template, id } = helloEngine();
    const fns = template.findResources('AWS::Lambda::Function');
    for (const fn of [engine.apiFunction, engine.stepFunction]) {
      const env = fns[id(fn)]!.Properties.Environment.Variables;
      expect(env.CURRANT_TABLE_NAME).toEqual({ Ref: expect.stringMatching(/^EngineTable/) });
      expect(env.CURRANT_EVENT_QUEUE_URL).toEqual({ Ref: expect.stringMatching(/^EngineEventQueue/) });
      expect(env.CURRANT_RESULT_QUEUE_URL).toEqual({ Ref: expect.stringMatching(/^EngineResultQueue/) });
      const urls = JSON.stringify(env.CURRANT_TASK_QUEUE_URLS);
      expect(urls).toContain('{\\"greet\\":\\"');
      expect(urls).toContain('\\"shout\\":\\"');
      expect(urls).toMatch(/EngineTasksgreetQueue/);
    }
    expect(fns[id(engine.apiFunction)]!.Properties.Environment.Variables.CURRANT_WORKFLOWS_DIR).toBe('workflows');
    expect(fns[id(engine.apiFunction)]!.Properties.Runtime).toBe('nodejs22.x');
  });

  it('gives the functions that compile sources room for the largest one accepted (64 KiB peaks at ~700 MB)', () => {
    const { engine, template, id } = helloEngine();
    const fns = template.findResources('AWS::Lambda::Function');
    expect(MAX_SOURCE_LENGTH).toBe(64 * 1024); // the figure COMPILING_FUNCTION_MB was measured for
    for (const fn of [engine.apiFunction, engine.stepFunction]) expect(fns[id(fn)]!.Properties.MemorySize).toBe(COMPILING_FUNCTION_MB);
    expect(COMPILING_FUNCTION_MB).toBeGreaterThanOrEqual(1024);
  });

  it('refuses to wire the same task twice', () => {
    const stack = newStack();
    const engine = new CurrantEngine(stack, 'Engine', { workflows: workflowsDir({ 'hello.workflow': HELLO }) });
    engine.addTask('greet', taskFn(stack, 'One'));
    expect(() => engine.addTask('greet', taskFn(stack, 'Other'))).toThrow(/already implemented/);
  });
});

describe('CurrantEngine synth-time checks', { timeout: 60_000 }, () => {
  it('fails synth with the rendered diagnostic when a workflow does not check', () => {
    const bad = 'task greet(name: string): string\n\nworkflow bad(name: string): string {\n  return await greeet(name)\n}\n';
    const dir = workflowsDir({ 'hello.workflow': HELLO, 'bad.workflow': bad });
    let message = '';
    try {
      new CurrantEngine(newStack(), 'Engine', { workflows: dir });
    } catch (e) {
      message = (e as Error).message;
    }
    // file:line:col, code, the source line and a caret under the unknown name
    expect(message).toMatch(/bad\.workflow:4:16 error CT005 /);
    expect(message).toContain('4 |   return await greeet(name)');
    expect(message).toMatch(/\|\s{16}\^{6}/);
    expect(message).not.toContain('hello.workflow');
  });

  it('fails synth when a workflow calls a task that no Lambda implements', () => {
    const stack = newStack();
    const engine = new CurrantEngine(stack, 'Engine', { workflows: workflowsDir({ 'hello.workflow': HELLO }) });
    engine.addTask('greet', taskFn(stack, 'GreetFn'));
    let message = '';
    try {
      Template.fromStack(stack);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/hello\.workflow:6:16 error CT005 task 'shout' is called here but no Lambda implements it/);
    expect(message).toContain('6 |   return await shout(g)');
    expect(message).toContain("engine.addTask('shout', fn)");
    expect(message).not.toContain("'greet'");
  });

  it('does not require an implementation for a declared task the workflow never uses', () => {
    const text = 'task used(): number\ntask unused(): number\n\nworkflow w(): number {\n  return await used()\n}\n';
    const stack = newStack();
    const engine = new CurrantEngine(stack, 'Engine', { workflows: workflowsDir({ 'w.workflow': text }) });
    engine.addTask('used', taskFn(stack, 'UsedFn'));
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  it('warns when a task policy allows longer attempts than the task Lambda runs', () => {
    const text = 'task slow(): number with { timeout: "10m" }\ntask quick(): number with { timeout: "2s" }\n\nworkflow w(): number {\n  await quick()\n  return await slow()\n}\n';
    const stack = newStack();
    const engine = new CurrantEngine(stack, 'Engine', { workflows: workflowsDir({ 'w.workflow': text }) });
    engine.addTask('slow', taskFn(stack, 'SlowFn')); // inline functions default to a 3 s timeout
    engine.addTask('quick', taskFn(stack, 'QuickFn'));
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('currant:taskTimeout|may run'));
    const texts = warnings.map((w) => String(w.entry.data));
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(/task 'slow' may run 10m per attempt in .*w\.workflow, but its Lambda times out after 3s/);
  });

  it('counts a task passed to map (fan-out) as used', () => {
    const text = 'task item(x: string): number\n\nworkflow fan(xs: string[]): number[] {\n  return await Promise.all(xs.map(item), { concurrency: 2 })\n}\n';
    const { program } = compile(text, 'fan.workflow');
    expect([...usedTasks(program!).keys()]).toEqual(['item']);
  });

  it('rejects two workflows with the same name', () => {
    const dir = workflowsDir({ 'a.workflow': HELLO, 'b.workflow': HELLO });
    expect(() => new CurrantEngine(newStack(), 'Engine', { workflows: dir })).toThrow(/clashes/);
  });
});
