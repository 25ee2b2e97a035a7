/**
 * The checker's view of the built-in table (dsl/interpreter/builtins.ts): arity comes from there,
 * and its type strings (`string[]`, `T | null`, `[string, any][]`) become checker `Type`s here.
 *
 *   builtinType('T | null', arrayOf(NUMBER))   // => number | null   (T = the receiver's element)
 *   methodOf('string', 'toUpperCase')          // => the table entry, or undefined
 *
 * Why not a second list: the interpreter and the checker must agree on exactly which built-ins
 * exist and how many arguments they take; one table makes that true by construction.
 */
import { BUILTINS, NAMESPACES, PROPERTIES, type Builtin } from '../interpreter/builtins.ts';
import { ANY, arrayOf, union, type Type } from './types.ts';

export { BUILTINS, NAMESPACES, PROPERTIES, type Builtin };

const cache = new Map<string, (t: Type) => Type>();

/**
 * A built-in's type string as a type. `T` is `element` (the receiver array's element type),
 * `T[]` the array of it. Unknown words read as `any` so a new table entry never breaks the checker.
 */
export function builtinType(text: string, element: Type = ANY): Type {
  let f = cache.get(text);
  if (!f) {
    f = compile(text);
    cache.set(text, f);
  }
  return f(element);
}

/** Parses the small type syntax of the table once, into a function of `T`. */
function compile(text: string): (t: Type) => Type {
  const tokens = text.match(/\[\]|[[\],|]|\w+/g) ?? [];
  let i = 0;
  const parseUnion = (): ((t: Type) => Type) => {
    const parts = [parsePostfix()];
    while (tokens[i] === '|') {
      i++;
      parts.push(parsePostfix());
    }
    return parts.length === 1 ? parts[0]! : (t) => union(parts.map((p) => p(t)));
  };
  const parsePostfix = (): ((t: Type) => Type) => {
    let p = parsePrimary();
    while (tokens[i] === '[]') {
      i++;
      const inner = p;
      p = (t) => arrayOf(inner(t));
    }
    return p;
  };
  const parsePrimary = (): ((t: Type) => Type) => {
    const tok = tokens[i++];
    if (tok === '[') {
      const elements = [parseUnion()];
      while (tokens[i] === ',') {
        i++;
        elements.push(parseUnion());
      }
      i++; // ']'
      return (t) => ({ kind: 'tuple', elements: elements.map((e) => e(t)) });
    }
    switch (tok) {
      case 'string':
      case 'number':
      case 'boolean':
      case 'null':
      case 'any':
      case 'void':
        return () => ({ kind: tok });
      case 'T':
        return (t) => t;
      default:
        return () => ANY;
    }
  };
  return parseUnion();
}

/** A method of strings or arrays, own properties only (`toString`, `constructor` are not built-ins). */
export function methodOf(receiver: 'string' | 'array', name: string): Builtin | undefined {
  const table: Record<string, Builtin> = BUILTINS[receiver];
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/** A namespace function (`Math.max`) or undefined. */
export function namespaceFn(ns: string, name: string): Builtin | undefined {
  const table = NAMESPACES[ns];
  return table && Object.hasOwn(table, name) ? table[name] : undefined;
}

/** A plain global function (`String`, `now`, `sleep`, …) or undefined. */
export function globalFn(name: string): Builtin | undefined {
  const table: Record<string, Builtin> = BUILTINS.global;
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

export function isNamespace(name: string): boolean {
  return Object.hasOwn(NAMESPACES, name);
}

/** `length` of strings and arrays. */
export function propertyOf(receiver: 'string' | 'array', name: string): Type | undefined {
  const table: Record<string, string> = PROPERTIES[receiver];
  return Object.hasOwn(table, name) ? builtinType(table[name]!) : undefined;
}
