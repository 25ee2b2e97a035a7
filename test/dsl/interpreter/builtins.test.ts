import { describe, expect, it } from 'vitest';
import { arityProblem, BUILTINS, lookupMethod } from '../../../dsl/interpreter/builtins.ts';
import { failure, result, runSync } from './helpers.ts';

const r = (expr: string, input: Record<string, unknown> = {}) => result(`workflow w(a: any) { return ${expr} }`, input as never);

describe('the built-in table', () => {
  it('lists every built-in of the language with arity and a signature', () => {
    expect(Object.keys(BUILTINS.Math).sort()).toEqual(['abs', 'ceil', 'floor', 'max', 'min', 'pow', 'round', 'sign', 'sqrt', 'trunc']);
    expect(Object.keys(BUILTINS.string).sort()).toEqual(
      ['endsWith', 'includes', 'indexOf', 'padEnd', 'padStart', 'repeat', 'replace', 'replaceAll', 'slice', 'split', 'startsWith', 'substring', 'toLowerCase', 'toUpperCase', 'trim'],
    );
    expect(Object.keys(BUILTINS.array).sort()).toEqual(
      ['concat', 'every', 'filter', 'find', 'findIndex', 'flat', 'flatMap', 'forEach', 'includes', 'indexOf', 'join', 'map', 'pop', 'push', 'reduce', 'reverse', 'shift', 'slice', 'some', 'sort', 'unshift'],
    );
    expect(Object.keys(BUILTINS.Object).sort()).toEqual(['entries', 'keys', 'values']);
    expect(Object.keys(BUILTINS.JSON).sort()).toEqual(['parse', 'stringify']);
    expect(Object.keys(BUILTINS.global).sort()).toEqual(['Boolean', 'Error', 'Number', 'String', 'addTime', 'dayOfWeek', 'now', 'signal', 'sleep', 'sleepUntil', 'startOfDay', 'timeBetween', 'uuid']);
    expect(Object.keys(BUILTINS.Promise).sort()).toEqual(['all', 'allSettled', 'any', 'race']);
    expect(BUILTINS.string.padStart).toMatchObject({
      minArgs: 1,
      maxArgs: 2,
      returns: 'string',
      params: [{ name: 'length', type: 'number' }, { name: 'fill', type: 'string', optional: true }],
      signature: 'padStart(length: number, fill?: string): string',
    });
    expect(BUILTINS.array.push).toMatchObject({ minArgs: 0, maxArgs: Infinity, mutates: true, returns: 'number' });
    expect(BUILTINS.Math.max).toMatchObject({ minArgs: 1, maxArgs: Infinity });
    expect(BUILTINS.global.sleep.handle).toBe(true);
    expect(BUILTINS.Promise.race.handle).toBe(true);
    expect(BUILTINS.console.warn).toMatchObject({ minArgs: 0, maxArgs: Infinity, returns: 'null', log: 'warn' });
    // methods taking a callback: the machine runs them; sort() keeps its own `call` for the form without one
    expect(BUILTINS.array.map).toMatchObject({ minArgs: 1, maxArgs: 1, callback: { result: 'value' } });
    expect(BUILTINS.array.map.signature).toBe('map(callback: (value: T, index: number, array: T[]) => U): any[]');
    expect(BUILTINS.array.reduce).toMatchObject({ minArgs: 1, maxArgs: 2, callback: { result: 'accumulator' } });
    expect(BUILTINS.array.sort).toMatchObject({ minArgs: 0, maxArgs: 1, mutates: true, callback: { result: 'order' } });
    for (const group of Object.values(BUILTINS)) {
      for (const b of Object.values(group)) {
        // handle makers (awaits.ts), console.* (the machine makes a log command) and methods that need a function have no `call`
        const machineMade = b.handle || b.log !== undefined || (b.callback !== undefined && b.minArgs > 0);
        expect(machineMade ? b.call : typeof b.call, b.signature).toBe(machineMade ? undefined : 'function');
      }
    }
  });

  it('explains an arity problem', () => {
    expect(arityProblem(BUILTINS.string.repeat, 1, 'repeat')).toBeUndefined();
    expect(arityProblem(BUILTINS.string.repeat, 0, 'repeat')).toBe('repeat takes 1 argument, got 0 (repeat(count: number): string)');
    expect(arityProblem(BUILTINS.Math.max, 0, 'Math.max')).toContain('at least 1');
    expect(arityProblem(BUILTINS.string.slice, 3, 'slice')).toContain('0 to 2');
  });

  it('looks methods up by receiver type, own entries only', () => {
    expect(lookupMethod('s', 'trim')).toBe(BUILTINS.string.trim);
    expect(lookupMethod([1], 'push')).toBe(BUILTINS.array.push);
    expect(lookupMethod('s', 'push')).toBeUndefined();
    expect(lookupMethod([1], 'constructor')).toBeUndefined();
    expect(lookupMethod({}, 'trim')).toBeUndefined();
  });
});

describe('Math', () => {
  it('computes and insists on numbers', () => {
    expect(r(`[Math.abs(-2), Math.ceil(1.1), Math.floor(-1.1), Math.round(0.5), Math.max(1, 3, 2), Math.min(4, 2), Math.pow(2, 8), Math.sqrt(9), Math.trunc(-2.7), Math.sign(-4)]`)).toEqual([
      2, 2, -2, 1, 3, 2, 256, 3, -2, -1,
    ]);
    expect(failure(`workflow w(a: any) { return Math.abs(a) }`, { a: '1' })).toBe('CR008 1:29');
    expect(failure(`workflow w(a: any) { return Math.pow(a, 400) }`, { a: 10 })).toBe('CR003 1:29');
  });

  it('a local named Math shadows the namespace', () => {
    expect(failure(`workflow w(Math: any) { return Math.abs(1) }`, { Math: {} })).toBe('CR002 1:32');
  });
});

describe('string methods', () => {
  it('work like JavaScript', () => {
    expect(r(`[a.length, a.toUpperCase(), a.toLowerCase(), " x ".trim(), a.split("-"), a.split("-", 1), a.includes("B"), a.startsWith("a"), a.endsWith("c"), a.indexOf("-"), a.slice(-1), a.substring(2, 0)]`, { a: 'a-B-c' })).toEqual([
      5, 'A-B-C', 'a-b-c', 'x', ['a', 'B', 'c'], ['a'], true, true, true, 1, 'c', 'a-',
    ]);
    expect(r(`["7".padStart(3, "0"), "7".padEnd(2), "ab".repeat(2)]`)).toEqual(['007', '7 ', 'abab']);
  });

  it('replace and replaceAll take the replacement literally', () => {
    expect(r(`["a.b.c".replace(".", "$&$&"), "a.b.c".replaceAll(".", "$$")]`)).toEqual(['a$&$&b.c', 'a$$b$$c']);
  });

  it('refuses absurd lengths with CR008', () => {
    expect(failure(`workflow w() { return "ab".repeat(100000000) }`)).toBe('CR008 1:23');
    expect(failure(`workflow w() { return "a".padStart(1.5) }`)).toBe('CR008 1:23');
  });
});

describe('array methods', () => {
  it('query and copy', () => {
    expect(r(`[a.length, a.slice(1), a.concat([4], 5), a.includes(2), a.indexOf(3), a.join(), a.join(" | "), [[1, [2, [3]]]].flat(2), [1, null, "x"].join("-")]`, { a: [1, 2, 3] })).toEqual([
      3, [2, 3], [1, 2, 3, 4, 5], true, 2, '1,2,3', '1 | 2 | 3', [1, 2, [3]], '1--x',
    ]);
  });

  it('mutate in place and return like JavaScript', () => {
    const out = result(`workflow w() {
  const xs = [2, 1]
  const a = xs.push(5, 4)
  const b = xs.unshift(0)
  const c = xs.pop()
  const d = xs.shift()
  xs.sort()
  const e = [].shift()
  return [a, b, c, d, e, xs, ["b", "a", "C"].sort(), [3, 20, 100].sort(), [1, 2].reverse()]
}`);
    expect(out).toEqual([4, 5, 4, 0, null, [1, 2, 5], ['C', 'a', 'b'], [3, 20, 100], [2, 1]]);
  });

  it('push copies what it stores', () => {
    expect(result(`workflow w() {
  const o = { k: 1 }
  const xs = []
  xs.push(o)
  xs.unshift(o)
  xs[0].k = 2
  xs[1].k = 3
  return [o, xs]
}`)).toEqual([{ k: 1 }, [{ k: 2 }, { k: 3 }]]);
  });
});

describe('Object, JSON, conversions, now and uuid', () => {
  it('Object.keys values entries', () => {
    expect(r(`[Object.keys(a), Object.values(a), Object.entries(a)]`, { a: { x: 1, y: [2] } })).toEqual([
      ['x', 'y'],
      [1, [2]],
      [['x', 1], ['y', [2]]],
    ]);
  });

  it('JSON.stringify with indent and JSON.parse', () => {
    expect(r(`[JSON.stringify({ a: [1] }), JSON.stringify([1], null, 1), JSON.parse("[1, {\\"b\\": null}]")]`)).toEqual([
      '{"a":[1]}',
      '[\n 1\n]',
      [1, { b: null }],
    ]);
  });

  it('String, Number, Boolean, Array.isArray', () => {
    expect(r(`[String(1.5), String(null), String({ a: 1 }), String(false), Number(" 12 "), Number("1e400"), Number("abc"), Number(false), Number([1]), Boolean(""), Boolean([]), Array.isArray([]), Array.isArray("x")]`)).toEqual([
      '1.5', 'null', '{"a":1}', 'false', 12, null, null, 0, null, false, true, true, false,
    ]);
  });

  it('now() and uuid() come from the injected options', () => {
    const a = runSync(`workflow w() { return [now(), uuid(), uuid()] }`, {}, { now: () => new Date(Date.UTC(2030, 4, 6, 7, 8, 9)), uuid: () => 'fixed' });
    expect(a.state.result).toEqual(['2030-05-06T07:08:09.000Z', 'fixed', 'fixed']);
  });
});
