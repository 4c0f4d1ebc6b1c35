/**
 * Freezes a value and everything reachable from it, so settings and text tables, shared by every
 * request, cannot be changed by one of them.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
