/**
 * Least privilege, as data: every AWS action each engine function is granted, on which resource,
 * and the code that calls it. `CurrantEngine` grants exactly these (nothing from a CDK `grant*`
 * helper, which adds actions no code here calls, such as `dynamodb:Scan`, `sqs:GetQueueUrl`, or
 * resources like `table/index/*`), and test/cdk/engine.test.ts checks the synthesized policies
 * against this table and each entry against its code: a new AWS call needs a line here, and a line
 * whose code is gone fails the test.
 *
 *   grantsFor('reconcile') // => [{ action: 'dynamodb:Query', on: ['index:byDue', 'index:byPark'], … }, …, { action: 'sqs:SendMessage', on: ['eventQueue'], … }]
 *
 * Not listed: what an SQS event source mapping needs to consume its queue (ReceiveMessage,
 * DeleteMessage, ChangeMessageVisibility, GetQueueAttributes, GetQueueUrl), which CDK's
 * `SqsEventSource` grants on that queue only: the Lambda service calls those, not our code.
 */

/**
 * What a grant is on: the table, one of its indexes, a queue (every task queue for `taskQueues`), or
 * the objects under one prefix of the payload bucket (`payloads:state/` → `<bucket>/state/*`: S3
 * object grants name keys, and these keys are made at run time, so the prefix is as narrow as it gets).
 */
export type Resource = 'table' | `index:${string}` | 'eventQueue' | 'resultQueue' | 'taskQueues' | `payloads:${'state' | 'args' | 'results'}/`;

export interface Permission {
  action: string;
  on: Resource[];
  /** Where the call is made: a file (from the repository root) and the functions or methods in it. */
  file: string;
  in: string[];
  /** The AWS SDK command those functions construct (`new <command>(`). */
  command: string;
}

export type EngineFunction = 'api' | 'step' | 'reconcile' | 'schedule' | 'task';

const STORE = 'adapters/aws/store.ts';
const DISPATCHER = 'adapters/aws/dispatcher.ts';
const BLOBS = 'adapters/aws/blobs.ts';

/** Reads and writes both the api and the step function make through DynamoStore and SqsDispatcher. */
const ADVANCE: Permission[] = [
  { action: 'dynamodb:GetItem', on: ['table'], file: STORE, in: ['load', 'getDefinition'], command: 'GetItemCommand' },
  { action: 'dynamodb:UpdateItem', on: ['table'], file: STORE, in: ['save'], command: 'UpdateItemCommand' },
  // SendMessageBatch is authorized by sqs:SendMessage.
  { action: 'sqs:SendMessage', on: ['eventQueue', 'taskQueues'], file: DISPATCHER, in: ['sendAll'], command: 'SendMessageCommand' },
  { action: 'sqs:SendMessage', on: ['eventQueue', 'taskQueues'], file: DISPATCHER, in: ['sendAll'], command: 'SendMessageBatchCommand' },
];

/** What every function that runs transitions (api, step, schedule) needs for large values. */
const PAYLOADS: Permission[] = [
  // Large values (adapters/aws/payloads.ts): documents too large for an item, arguments too large
  // for a message; the presigned URLs in task messages act with these rights (a task reads its
  // arguments, writes its own attempt's result) — task functions hold no S3 permission themselves.
  { action: 's3:PutObject', on: ['payloads:state/', 'payloads:args/'], file: BLOBS, in: ['put'], command: 'PutObjectCommand' },
  { action: 's3:PutObject', on: ['payloads:results/'], file: BLOBS, in: ['presignPut'], command: 'PutObjectCommand' },
  { action: 's3:GetObject', on: ['payloads:state/'], file: BLOBS, in: ['get'], command: 'GetObjectCommand' },
  { action: 's3:GetObject', on: ['payloads:args/'], file: BLOBS, in: ['presignGet'], command: 'GetObjectCommand' },
  { action: 's3:DeleteObject', on: ['payloads:state/'], file: BLOBS, in: ['delete'], command: 'DeleteObjectCommand' },
];

export const PERMISSIONS: Record<EngineFunction, Permission[]> = {
  // start (create, putDefinition), inspect, list, signal, cancel
  api: [
    ...ADVANCE,
    ...PAYLOADS,
    { action: 'dynamodb:PutItem', on: ['table'], file: STORE, in: ['putIfAbsent'], command: 'PutItemCommand' },
    { action: 'dynamodb:Query', on: ['index:byWorkflow', 'index:byStatus', 'index:byCreated'], file: STORE, in: ['list'], command: 'QueryCommand' },
    { action: 'dynamodb:BatchGetItem', on: ['table'], file: STORE, in: ['batchLoad'], command: 'BatchGetItemCommand' },
  ],
  // task results, wake-ups (fire due timers, re-arm; park one that arrives too early for one SQS delay)
  step: [
    ...ADVANCE,
    ...PAYLOADS,
    { action: 'dynamodb:UpdateItem', on: ['table'], file: STORE, in: ['setWake', 'park'], command: 'UpdateItemCommand' },
    { action: 'sqs:SendMessage', on: ['eventQueue'], file: DISPATCHER, in: ['sendWake'], command: 'SendMessageCommand' },
    // a result a task stored aside, read from its attempt's key (payloads.ts readResult)
    { action: 's3:GetObject', on: ['payloads:results/'], file: BLOBS, in: ['get'], command: 'GetObjectCommand' },
  ],
  // parked wake-ups coming due (byPark from the sweep's marks, claimed, then sent); overdue ones from byDue, re-sent as repairs
  reconcile: [
    { action: 'dynamodb:Query', on: ['index:byDue'], file: STORE, in: ['overdueWakes'], command: 'QueryCommand' },
    { action: 'dynamodb:Query', on: ['index:byPark'], file: STORE, in: ['parkedWakes'], command: 'QueryCommand' },
    { action: 'dynamodb:GetItem', on: ['table'], file: STORE, in: ['sweepMarks'], command: 'GetItemCommand' },
    { action: 'dynamodb:UpdateItem', on: ['table'], file: STORE, in: ['claimSweep'], command: 'UpdateItemCommand' },
    { action: 'sqs:SendMessage', on: ['eventQueue'], file: DISPATCHER, in: ['sendWake'], command: 'SendMessageCommand' },
    // the sweep's pages (SendMessageBatch is authorized by sqs:SendMessage)
    { action: 'sqs:SendMessage', on: ['eventQueue'], file: DISPATCHER, in: ['sendAll'], command: 'SendMessageBatchCommand' },
  ],
  // a schedule's firing: start (definition, create, first sends), or find the instance it started
  schedule: [
    { action: 'dynamodb:GetItem', on: ['table'], file: STORE, in: ['load', 'getDefinition'], command: 'GetItemCommand' },
    { action: 'dynamodb:PutItem', on: ['table'], file: STORE, in: ['putIfAbsent'], command: 'PutItemCommand' },
    { action: 'sqs:SendMessage', on: ['eventQueue', 'taskQueues'], file: DISPATCHER, in: ['sendAll'], command: 'SendMessageCommand' },
    { action: 'sqs:SendMessage', on: ['eventQueue', 'taskQueues'], file: DISPATCHER, in: ['sendAll'], command: 'SendMessageBatchCommand' },
    // a firing's first activation: large input or arguments, URLs for the results of its tasks
    ...PAYLOADS,
  ],
  // a task function (either SDK) sends its results to the result queue, nothing else
  task: [{ action: 'sqs:SendMessage', on: ['resultQueue'], file: 'sdk/node/index.ts', in: ['sqsSend'], command: 'SendMessageCommand' }],
};

/** The grants of one function, merged: one entry per action with every resource it is on. */
export function grantsFor(fn: EngineFunction): { action: string; on: Resource[] }[] {
  const byAction = new Map<string, Set<Resource>>();
  for (const p of PERMISSIONS[fn]) {
    const set = byAction.get(p.action) ?? new Set<Resource>();
    for (const r of p.on) set.add(r);
    byAction.set(p.action, set);
  }
  return [...byAction].map(([action, on]) => ({ action, on: [...on] }));
}
