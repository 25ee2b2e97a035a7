/**
 * Semantic actions for type annotations: unions, intersections, arrays, tuples, object types,
 * literal types and the generics currant reads (`Array<T>`, `Record<K, V>`, …); the TypeScript type
 * forms it rejects read as `any` after a CS002. Merged into the `ast` operation by semantics.ts.
 */
import * as ohm from 'ohm-js';
import type * as A from '../../ast.ts';
import { GENERIC_ARITY, genericRejected, MESSAGES, primitiveRejected } from '../messages.ts';
import { ctx, list, mk, rejectType, report, spanNode } from '../context.ts';
import { numberValue } from '../literals.ts';

export function typeArgs(iter: ohm.Node): A.TypeNode[] | undefined {
  return iter.children.length > 0 ? (iter.children[0]!.ast() as A.TypeNode[]) : undefined;
}

/** `Array<T>`, `ReadonlyArray<T>`, `Record<K, V>`, `Readonly<T>`; any other generic is reported. */
export function genericType(n: ohm.Node, name: ohm.Node, args: A.TypeNode[]): A.TypeNode {
  const id = name.sourceString;
  const want = Object.hasOwn(GENERIC_ARITY, id) ? GENERIC_ARITY[id] : undefined;
  if (want === undefined) return rejectType(n, genericRejected(id));
  if (args.length !== want) return rejectType(n, `\`${id}\` takes ${want} type argument${want === 1 ? '' : 's'}, got ${args.length}`);
  switch (id) {
    case 'Array':
      return mk('ArrayType', n, { element: args[0]! });
    case 'ReadonlyArray':
      return mk('ReadonlyType', n, { type: mk('ArrayType', n, { element: args[0]! }) });
    case 'Readonly':
      return mk('ReadonlyType', n, { type: args[0]! });
    case 'Promise':
      return mk('PromiseType', n, { value: args[0]! });
    default:
      return mk('RecordType', n, { key: args[0]!, value: args[1]! });
  }
}

export const typeActions: ohm.ActionDict<any> = {
  Type(_lead, members) {
    const types = members.asIteration().children.map((c) => c.ast()) as A.TypeNode[];
    if (types.length === 1) return types[0];
    return mk('UnionType', this, { types });
  },
  IntersectionType(_lead, members) {
    const types = members.asIteration().children.map((c) => c.ast()) as A.TypeNode[];
    if (types.length === 1) return types[0];
    return mk('IntersectionType', this, { types });
  },
  ArrayType_array(element, _l, _r) {
    return mk('ArrayType', this, { element: element.ast() });
  },
  ArrayType_indexed_reject(obj, _l, key, _r) {
    obj.ast();
    key.ast();
    return rejectType(this, MESSAGES.indexedType);
  },
  PrimaryType_paren(_l, type, _r) {
    return type.ast();
  },
  PrimaryType_readonly(kw, type) {
    const t = type.ast() as A.TypeNode;
    if (t.kind !== 'ArrayType' && t.kind !== 'TupleType') return rejectType(this, MESSAGES.readonlyType, kw);
    return mk('ReadonlyType', this, { type: t });
  },
  PrimaryType_tuple(_l, elems, _comma, _r) {
    return mk('TupleType', this, { elements: list(elems) });
  },
  TupleElem_rest_reject(dots, type) {
    type.ast();
    return rejectType(this, MESSAGES.tupleRest, dots);
  },
  TupleElem_named_reject(_name, _q, _colon, type) {
    type.ast();
    return rejectType(this, MESSAGES.tupleNamed);
  },
  TupleElem_optional_reject(type, q) {
    type.ast();
    return rejectType(this, MESSAGES.tupleOptional, q);
  },
  PrimaryType_generic(name, _l, args, _r) {
    return genericType(this, name, list(args) as A.TypeNode[]);
  },
  PrimaryType_operator_reject(kw, type) {
    type.ast();
    return rejectType(this, MESSAGES.typeOperator, kw);
  },
  PrimaryType_function_reject(_l, _ps, _comma, _r, _arrow, _ret) {
    return rejectType(this, MESSAGES.functionType);
  },
  PrimaryType_template_reject(_t) {
    return rejectType(this, MESSAGES.templateType);
  },
  PrimaryType_string(s) {
    return mk('LiteralType', this, { value: s.ast() as string });
  },
  PrimaryType_number(minus, n) {
    const v = numberValue(n);
    return mk('LiteralType', this, { value: minus.children.length ? -v : v });
  },
  PrimaryType_true(_t) {
    return mk('LiteralType', this, { value: true });
  },
  PrimaryType_false(_f) {
    return mk('LiteralType', this, { value: false });
  },
  PrimaryType_primitive(p) {
    const rejected = primitiveRejected(p.sourceString);
    if (rejected) return rejectType(this, rejected);
    return mk('PrimitiveType', this, { name: p.sourceString as A.PrimitiveTypeNode['name'] });
  },
  PrimaryType_ref(name) {
    if (ctx.typeParams.has(name.sourceString)) return mk('PrimitiveType', this, { name: 'any' as const });
    return mk('TypeRef', this, { name: name.sourceString });
  },
  ObjectType(_l, members, _sep, _r) {
    const node: A.ObjectTypeNode = mk('ObjectType', this, { members: [] });
    for (const m of list(members) as ({ index: A.TypeNode; span: A.Span } | A.ObjectTypeNode['members'][number] | null)[]) {
      if (m === null) continue;
      if ('index' in m) {
        if (node.index) report('CS002', m.span, MESSAGES.twoIndexes);
        else node.index = m.index;
      } else node.members.push(m);
    }
    return node;
  },
  TypeMember_index(_ro, _l, _key, _colon, keyType, _r, _c, value) {
    const k = keyType.ast() as A.TypeNode;
    if (k.kind !== 'PrimitiveType' || (k.name !== 'string' && k.name !== 'number')) report('CS002', k.span, MESSAGES.indexKey);
    return { index: value.ast(), span: spanNode(this) };
  },
  TypeMember_mapped_reject(_ro, _l, _key, _in, _keys, _r, _q, _c, _value) {
    report('CS002', spanNode(this), MESSAGES.mappedType);
    return null;
  },
  TypeMember_readonly(_ro, name, q, _colon, type) {
    return { name: name.ast() as string, optional: q.children.length > 0, type: type.ast(), span: spanNode(this), readonly: true };
  },
  TypeMember_method_reject(name, _q, _lp, _ps, _comma, _rp, _colon, _ret) {
    report('CS002', spanNode(this), MESSAGES.methodType);
    return null;
  },
  TypeMember_plain(name, q, _colon, type) {
    return { name: name.ast() as string, optional: q.children.length > 0, type: type.ast(), span: spanNode(this) };
  },
  TypeArgs(_l, args, _r) {
    return args.asIteration().children.map((c) => c.ast());
  },
};
