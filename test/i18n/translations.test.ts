import { describe, expect, it } from 'vitest';
import { translations } from '../../src/i18n/translations.js';
import { deepFreeze } from '../../src/util/deep-freeze.js';

describe('translations', () => {
  it('cannot be changed at run time', () => {
    const table = translations({ en: { a: { b: 'B' } }, nl: { a: { b: 'B' } } });
    expect(Object.isFrozen(table)).toBe(true);
    expect(Object.isFrozen(table.nl.a)).toBe(true);
  });
});

describe('deepFreeze', () => {
  it('freezes arrays and objects inside, and leaves other values alone', () => {
    const value = deepFreeze({ list: [{ x: 1 }], n: 1, s: 's', none: null });
    expect(Object.isFrozen(value.list[0])).toBe(true);
    expect(deepFreeze(3)).toBe(3);
  });
});
