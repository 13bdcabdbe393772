/**
 * `table[key]` where `table` has a string index signature (Record<string, V>, { [k: string]: V }) and `key`
 * is typed `string`: such a key may be `__proto__`, `constructor` or `toString`, which a plain object "finds"
 * on Object.prototype (issue 9: `BOOSTERS['constructor']` made sentiment NaN; `PRIORITY_ALIASES['__proto__']`
 * made a priority of `{}`), and an assignment with `__proto__` replaces the object's prototype. Use a Map,
 * `ownValue()` / `isOwnKey()` from src/domain/lookup.ts (Object.hasOwn), or narrow the key to a literal union
 * first (a zod enum does). Keys typed as literal unions and numeric indexes are not reported.
 */
import { ESLintUtils } from '@typescript-eslint/utils';
import ts from 'typescript';

function isBroadString(type) {
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return false;
  if (type.isUnion()) return type.types.some(isBroadString);
  return Boolean(type.flags & (ts.TypeFlags.String | ts.TypeFlags.TemplateLiteral));
}

function hasStringIndex(checker, type) {
  const target = checker.getNonNullableType(type);
  if (target.isUnion()) return target.types.some((t) => hasStringIndex(checker, t));
  if (checker.isArrayType(target) || checker.isTupleType(target)) return false;
  return checker
    .getIndexInfosOfType(checker.getApparentType(target))
    .some((info) => Boolean(info.keyType.flags & ts.TypeFlags.String));
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'no lookups in plain-object tables with keys typed string' },
    messages: {
      lookup:
        'A string key may be "__proto__" or "constructor": use a Map, ownValue()/isOwnKey() (src/domain/lookup.ts), or narrow the key first.',
    },
    schema: [],
  },
  create(context) {
    const services = ESLintUtils.getParserServices(context);
    const checker = services.program.getTypeChecker();
    const typeOf = (node) => checker.getTypeAtLocation(services.esTreeNodeToTSNodeMap.get(node));
    return {
      MemberExpression(node) {
        if (!node.computed || node.property.type === 'Literal') return;
        if (!isBroadString(typeOf(node.property))) return;
        if (!hasStringIndex(checker, typeOf(node.object))) return;
        context.report({ node, messageId: 'lookup' });
      },
    };
  },
};
