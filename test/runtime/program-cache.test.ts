// The API recompiled the workflow source on every start (issue 7 item 6): startWorkflow now takes
// a program this process compiled and stored before from the cache, by the source's hash.
import { describe, expect, it } from 'vitest';
import { compile, programHash } from '../../dsl/index.ts';
import { ProgramCache, startWorkflow, type RuntimeDeps } from '../../runtime/driver.ts';
import { DefinitionError } from '../../runtime/errors.ts';
import { MemoryStore, RecordingDispatcher } from '../../runtime/memory.ts';
import type { Definition } from '../../runtime/types.ts';

const A = 'workflow a(n: number): number {\n  return n + 1\n}\n';
const B = 'workflow b(n: number): number {\n  return n * 100\n}\n';

class CountingStore extends MemoryStore {
  writes = 0;
  failNext = false;
  override async putDefinition(def: Definition): Promise<void> {
    this.writes++;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('throttled');
    }
    return super.putDefinition(def);
  }
}

function deps(store = new CountingStore()): RuntimeDeps & { store: CountingStore; programs: ProgramCache } {
  let n = 0;
  return { store, dispatcher: new RecordingDispatcher(), programs: new ProgramCache(store), clock: { now: () => new Date(0), uuid: () => `u-${++n}` } };
}

describe('startWorkflow compile cache', () => {
  it('compiles and stores a source once, then starts from the cached program', async () => {
    const d = deps();
    const first = await startWorkflow(d, { source: A, file: 'a.workflow' }, { n: 1 }, { id: 'i1' });
    expect(first.instance.state.status).toBe('completed');
    expect(d.store.writes).toBe(1);
    // the cache, not a recompile, gives the program: poison the entry and watch the next start use it
    d.programs.put(programHash(A), compile(B).program!);
    const second = await startWorkflow(d, { source: A, file: 'a.workflow' }, { n: 1 }, { id: 'i2' });
    expect(second.instance.state.status === 'completed' && second.instance.state.result).toBe(100);
    expect(d.store.writes).toBe(1);
  });

  it('a changed source is a new entry: compiled, checked and stored', async () => {
    const d = deps();
    await startWorkflow(d, { source: A, file: 'a.workflow' }, { n: 1 }, { id: 'i1' });
    await startWorkflow(d, { source: B, file: 'b.workflow' }, { n: 1 }, { id: 'i2' });
    expect(d.store.writes).toBe(2);
    await expect(startWorkflow(d, { source: A + 'oops', file: 'a.workflow' }, { n: 1 }, { id: 'i3' })).rejects.toBeInstanceOf(DefinitionError);
  });

  it('caches only once the definition is stored: a failed write is retried by the next start', async () => {
    const d = deps();
    d.store.failNext = true;
    await expect(startWorkflow(d, { source: A, file: 'a.workflow' }, { n: 1 }, { id: 'i1' })).rejects.toThrow('throttled');
    expect(d.programs.peek(programHash(A))).toBeUndefined();
    await startWorkflow(d, { source: A, file: 'a.workflow' }, { n: 1 }, { id: 'i1' });
    expect(d.store.writes).toBe(2);
    expect(await d.store.getDefinition(programHash(A))).toMatchObject({ workflow: 'a' });
  });

  it('evicts the least recently used program past its size', () => {
    const cache = new ProgramCache(new MemoryStore(), 2);
    const p = compile(A).program!;
    cache.put('h1', p);
    cache.put('h2', p);
    cache.peek('h1');
    cache.put('h3', p);
    expect([cache.peek('h1'), cache.peek('h2'), cache.peek('h3')].map(Boolean)).toEqual([true, false, true]);
  });
});
