/**
 * Lookups in plain-object tables with keys that come from outside (a client, a tenant's settings, an ITSM
 * tool, a ticket's text). `table[key]` would find `Object.prototype`'s members for keys such as `__proto__`,
 * `constructor` or `toString`; these only find the table's own keys. Lint (`local/no-string-key-lookup`)
 * refuses `table[key]` with a key typed `string`, so new code comes here or uses a Map.
 */
export function ownValue<V>(table: Readonly<Record<string, V>>, key: string): V | undefined {
  // eslint-disable-next-line local/no-string-key-lookup -- the one lookup allowed: the key is checked own above
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Whether `key` is one of the table's own keys (narrows it to the table's key type). */
export function isOwnKey<K extends string>(table: Readonly<Record<K, unknown>>, key: string): key is K {
  return Object.hasOwn(table, key);
}
