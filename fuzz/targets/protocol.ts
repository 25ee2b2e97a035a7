/**
 * Fuzz targets for the message protocol: the engine's parser of result/event-queue bodies, the
 * task SDK's parser of task messages, and the step function's record processing over an
 * in-memory store (an instance that is really waiting for the forged/garbled messages).
 *
 * Takes nothing; gives fast-check arbitraries and checks. A check throws only when the code under
 * test broke its contract (an escaped exception other than the documented poison error, an
 * instance changed by a refused message, an unloadable instance):
 *
 *   fc.assert(fc.property(bodies, (b) => checkEventParser(b)));
 */
import fc from 'fast-check';
import { parseEventMessage } from '../../adapters/aws/messages.ts';
import { parseTaskMessage } from '../../sdk/node/core.ts';
import { PoisonMessageError, processBody } from '../../functions/step.ts';
import { attemptToken, MemoryStore, ProgramCache, RecordingDispatcher, startWorkflow, type Instance, type RuntimeDeps } from '../../runtime/index.ts';

/** JSON text nested `depth` deep (arrays or objects): as text, since JSON.stringify itself overflows on such values. */
export function deepJsonText(depth: number, kind: 'array' | 'object' = 'array', leaf = '1'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
}

/** Keys that break naive objects used as maps. */
export const NASTY_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', '#', 'a.b', '\u0000', '🦀', '$handle'];

const nastyString = fc.oneof(fc.string(), fc.constantFrom(...NASTY_KEYS), fc.string({ unit: 'binary', maxLength: 40 }));

/** JSON values including wide ones, long strings and nasty keys (deep ones come as text: `deepText`). */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 2, arbitrary: fc.dictionary(fc.constantFrom(...NASTY_KEYS), fc.jsonValue({ maxDepth: 2 })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 300_000 }).map((n) => 'x'.repeat(n)) },
);

/** JSON text of a value from `hostileJson`, or one nested 50–20,000 deep. */
export const hostileJsonText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: hostileJson.map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 50, max: 20_000 }), fc.constantFrom('array' as const, 'object' as const)).map(([d, k]) => deepJsonText(d, k)) },
);

/** `message` as JSON text with each `@field` placeholder value replaced by the text given for it. */
function withDeep(message: Record<string, unknown>, deep: Record<string, string>): string {
  let text = JSON.stringify(message);
  for (const [field, value] of Object.entries(deep)) text = text.replace(JSON.stringify(`@${field}`), value);
  return text;
}

const resultShape = (token: fc.Arbitrary<unknown>) =>
  fc.record(
    {
      protocol: fc.oneof(fc.constant('currant.result.v1'), nastyString),
      type: fc.oneof(fc.constantFrom('taskResult', 'wake', 'timer', 'signal', 'cancel'), nastyString),
      instanceId: fc.oneof(fc.constant('fz'), nastyString, hostileJson),
      taskId: fc.oneof(fc.constantFrom('n1.s1', 'n5.s2', 'n5.s2.0'), nastyString, hostileJson),
      attempt: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.double(), hostileJson),
      token,
      ok: fc.oneof(fc.boolean(), hostileJson),
      result: hostileJson,
      error: fc.oneof(fc.record({ message: fc.oneof(fc.string(), hostileJson), type: fc.oneof(fc.string(), hostileJson), retryable: fc.oneof(fc.boolean(), hostileJson) }, { requiredKeys: [] }), hostileJson),
      wakeId: nastyString,
      at: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), nastyString),
      timerId: nastyString,
      fireAt: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), nastyString),
      name: nastyString,
      payload: hostileJson,
      signalId: nastyString,
    },
    { requiredKeys: [] },
  );

/** Bodies for the event/result queue parser: garbage text, any JSON, and message-shaped objects. */
export const eventBodies: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  hostileJsonText,
  resultShape(fc.oneof(fc.string(), hostileJson)).map((m) => JSON.stringify(m)),
  // Message-shaped, with a deep value where a value goes.
  fc
    .tuple(resultShape(fc.string()), fc.constantFrom('result', 'payload', 'error', 'instanceId', 'taskId'), hostileJsonText)
    .map(([m, field, text]) => withDeep({ ...m, [field]: `@${field}` }, { [field]: text })),
);

export function checkEventParser(body: string, source: 'results' | 'events'): void {
  const p = parseEventMessage(body, source);
  if (p.ok) {
    if (typeof p.instanceId !== 'string' || p.instanceId.length === 0) throw new Error('ok without an instance id');
  } else if (!Array.isArray(p.problems) || p.problems.length === 0 || !p.problems.every((x) => typeof x === 'string')) {
    throw new Error('refusal without problems');
  }
}

/** Task messages as the SDK might receive them. */
export const taskBodies: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  hostileJson,
  hostileJsonText,
  fc
    .record(
      {
        protocol: fc.oneof(fc.constant('currant.task.v1'), nastyString),
        instanceId: fc.oneof(nastyString, hostileJson),
        taskId: fc.oneof(nastyString, hostileJson),
        task: fc.oneof(fc.constantFrom(...NASTY_KEYS), nastyString),
        args: fc.oneof(fc.array(hostileJson, { maxLength: 4 }), hostileJson),
        attempt: fc.oneof(fc.integer({ min: -1, max: 4 }), hostileJson),
        timeoutMs: fc.oneof(fc.integer({ min: -5, max: 100_000 }), hostileJson),
        replyTo: fc.oneof(nastyString, hostileJson),
        token: fc.oneof(nastyString, hostileJson),
      },
      { requiredKeys: [] },
    )
    .chain((m) => fc.constantFrom<unknown>(m, JSON.stringify(m))),
  // A valid task message whose args hold a deep value, as SQS would hand it over (text).
  hostileJsonText.map((text) =>
    withDeep({ protocol: 'currant.task.v1', instanceId: 'i', taskId: 'n1.s1', task: 'work', args: '@args', attempt: 1, timeoutMs: 1000, replyTo: 'q', token: 't' }, { args: `[${text}]` }),
  ),
);

export function checkTaskParser(body: unknown): void {
  const p = parseTaskMessage(body);
  if (!p.ok && (!Array.isArray(p.problems) || p.problems.length === 0)) throw new Error('refusal without problems');
}

// ---------------------------------------------------------------------------------------------
// The step function's record processing, over a real instance
// ---------------------------------------------------------------------------------------------

const WORKFLOW = `
task work(n: number): number
workflow fz(n: number): number {
  const xs = await Promise.all([1, 2, 3].map(work))
  const answer = await signal("go", { timeout: "1h" })
  return xs[0] + n
}
`;

export interface StepWorld {
  deps: RuntimeDeps;
  before: Instance;
}

/** A fresh store with one instance `fz` waiting on three task attempts. */
export async function stepWorld(): Promise<StepWorld> {
  const store = new MemoryStore();
  let n = 0;
  const deps: RuntimeDeps = { store, dispatcher: new RecordingDispatcher(), programs: new ProgramCache(store), clock: { now: () => new Date(Date.parse('2026-01-01T00:00:00.000Z') + n * 1000), uuid: () => `u${++n}` } };
  await startWorkflow(deps, { source: WORKFLOW, file: 'fz.workflow' }, { n: 1 }, { id: 'fz' });
  return { deps, before: (await store.load('fz'))! };
}

/** Messages aimed at the instance: shaped results with the right, a wrong, or no token. */
export const stepBodies = (world: StepWorld): fc.Arbitrary<{ body: string; source: 'results' | 'events' }> =>
  fc.record({
    body: fc.oneof(
      eventBodies,
      resultShape(fc.constant(undefined)).map((m) => JSON.stringify({ ...m, instanceId: 'fz' })),
      fc
        .record({ taskId: fc.constantFrom(...Object.keys(world.before.tasks), 'n0.s0'), attempt: fc.integer({ min: 1, max: 3 }), ok: fc.boolean(), value: hostileJsonText, real: fc.boolean() })
        .map(({ taskId, attempt, ok, value, real }) => {
          const token = real ? attemptToken(world.before.secret!, taskId, attempt) : 'guess';
          return withDeep(
            { protocol: 'currant.result.v1', type: 'taskResult', instanceId: 'fz', taskId, attempt, token, ok, result: '@result', error: ok ? undefined : { message: 'x', type: '@result' } },
            { result: value },
          );
        }),
    ),
    source: fc.constantFrom('results' as const, 'events' as const),
  });

/** One record through `processBody`: only PoisonMessageError may escape; the instance stays loadable JSON. */
export async function checkStep(world: StepWorld, msg: { body: string; source: 'results' | 'events' }): Promise<void> {
  const version = (await world.deps.store.load('fz'))!.version;
  try {
    const out = await processBody(world.deps, msg.body, { source: msg.source });
    if (out.outcome === 'refused' && (await world.deps.store.load('fz'))!.version !== version) {
      throw new Error('a refused message changed the instance');
    }
  } catch (e) {
    // The memory store has no wake-up capability (DynamoStore has): a wiring limit of this world.
    const noWakes = e instanceof Error && /wake-up messages need/.test(e.message);
    if (!(e instanceof PoisonMessageError) && !noWakes) throw e;
  }
  const after = await world.deps.store.load('fz');
  if (!after) throw new Error('instance vanished');
  JSON.parse(JSON.stringify(after));
}
