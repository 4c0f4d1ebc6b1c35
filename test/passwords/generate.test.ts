import { randomInt } from 'node:crypto';

import { beforeAll, describe, expect, it, vi } from 'vitest';

import { isAppError } from '../../src/errors/catalog.js';
import {
  PASSWORD_ALPHABET,
  forbiddenPartsFor,
  generateTemporaryPassword,
  meetsPasswordRules,
} from '../../src/passwords/generate.js';
import { chiSquareCriticalValue, chiSquareStatistic } from './chi-square.js';

/**
 * The generator's only randomness is node:crypto's randomInt. The power test swaps in the classic
 * mistake, `byte % 56`, to prove the uniformity check can fail; every other test gets the real one.
 */
const source = vi.hoisted(() => ({ biased: false }));
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  let pool = Buffer.alloc(0);
  let next = 0;
  const moduloBiased = (max: number): number => {
    if (next >= pool.length) {
      pool = actual.randomBytes(65_536);
      next = 0;
    }
    const byte = pool[next] ?? 0;
    next += 1;
    return byte % max;
  };
  return {
    ...actual,
    randomInt: (max: number): number => (source.biased ? moduloBiased(max) : actual.randomInt(max)),
  };
});

const SAMPLES = 100_000;
const RANDOM_LENGTH = 16;
/** Overall false-alarm rate of the uniformity check, split evenly over the positions (Bonferroni). */
const ALPHA = 1e-6;

const CHAR = '[A-HJ-NP-Za-km-np-z2-9]';
/** `groups` dash-separated groups of four, then optionally a shorter last group of `tail` characters. */
function shape(groups: number, tail = 0): RegExp {
  const last = tail > 0 ? `-${CHAR}{${tail}}` : '';
  return new RegExp(`^${CHAR}{4}(?:-${CHAR}{4}){${groups - 1}}${last}$`);
}
const DEFAULT_SHAPE = shape(4);
const LOOK_ALIKES = /[0Oo1lI]/;

type CharClass = 'upper' | 'lower' | 'digit';
const CLASS_SIZE: Record<CharClass, number> = { upper: 24, lower: 24, digit: 8 };
const CLASSES = Object.keys(CLASS_SIZE) as CharClass[];

function classOf(char: string): CharClass {
  if (/[A-Z]/.test(char)) return 'upper';
  if (/[a-z]/.test(char)) return 'lower';
  return 'digit';
}

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

function generateMany(count: number, options?: Parameters<typeof generateTemporaryPassword>[0]): string[] {
  return Array.from({ length: count }, () => generateTemporaryPassword(options));
}

/** Strings of `length` over the 56-character alphabet with at least one character of each `required` class. */
function stringsContaining(length: number, required: readonly CharClass[]): bigint {
  // Inclusion–exclusion over the subsets of required classes that are left out entirely.
  let total = 0n;
  for (let mask = 0; mask < 1 << required.length; mask += 1) {
    let excluded = 0;
    let sign = 1n;
    required.forEach((cls, i) => {
      if (mask & (1 << i)) {
        excluded += CLASS_SIZE[cls];
        sign = -sign;
      }
    });
    total += sign * BigInt(PASSWORD_ALPHABET.length - excluded) ** BigInt(length);
  }
  return total;
}

/**
 * P(a given character of `cls` at a given position), when passwords are uniform over those that
 * contain all three classes: that character fills the position, and the other length − 1 positions
 * must supply the two remaining classes. Not 1/56: a digit is ~9% more likely, because the
 * passwords that get redrawn are mostly those without one.
 */
function expectedProbability(cls: CharClass, length: number): number {
  const others = CLASSES.filter((other) => other !== cls);
  const scale = 10n ** 18n;
  return Number((stringsContaining(length - 1, others) * scale) / stringsContaining(length, CLASSES)) / 1e18;
}

/** Chi-square statistic of each random position against the expected counts. */
function positionStatistics(samples: readonly string[], expectedOf: (char: string) => number): number[] {
  const counts = Array.from({ length: RANDOM_LENGTH }, () =>
    new Array<number>(PASSWORD_ALPHABET.length).fill(0),
  );
  for (const password of samples) {
    const random = password.replaceAll('-', '');
    for (let position = 0; position < RANDOM_LENGTH; position += 1) {
      const row = counts[position];
      const index = PASSWORD_ALPHABET.indexOf(random.charAt(position));
      if (row && index >= 0) row[index] = (row[index] ?? 0) + 1;
    }
  }
  const expected = [...PASSWORD_ALPHABET].map((char) => expectedOf(char) * samples.length);
  return counts.map((observed) => chiSquareStatistic(observed, expected));
}

const exactExpectation = (char: string): number => expectedProbability(classOf(char), RANDOM_LENGTH);
const CRITICAL = chiSquareCriticalValue(PASSWORD_ALPHABET.length - 1, ALPHA / RANDOM_LENGTH);

describe('PASSWORD_ALPHABET', () => {
  it('holds 24 upper-case letters, 24 lower-case letters and 8 digits, none of them look-alikes', () => {
    const chars = [...PASSWORD_ALPHABET];
    expect(new Set(chars).size).toBe(56);
    expect(chars.filter((c) => classOf(c) === 'upper')).toHaveLength(24);
    expect(chars.filter((c) => classOf(c) === 'lower')).toHaveLength(24);
    expect(chars.filter((c) => classOf(c) === 'digit')).toHaveLength(8);
    expect(chars.every((c) => /^[A-Za-z0-9]$/.test(c) && !LOOK_ALIKES.test(c))).toBe(true);
  });
});

describe('generateTemporaryPassword', () => {
  let samples: string[] = [];
  beforeAll(() => {
    samples = generateMany(SAMPLES);
  });

  it(`gives ${SAMPLES} passwords that all have four dash-separated groups of four and every character class`, () => {
    const bad = samples.filter(
      (password) =>
        password.length !== 19 ||
        !DEFAULT_SHAPE.test(password) ||
        LOOK_ALIKES.test(password) ||
        !/[A-Z]/.test(password) ||
        !/[a-z]/.test(password) ||
        !/[2-9]/.test(password) ||
        !meetsPasswordRules(password),
    );
    expect(bad).toEqual([]);
  });

  it('never contains a forbidden name part, in any case, even across a dash', () => {
    const forbidden = ['jmus', 'Joman', 'sbf_jmus'];
    const passwords = generateMany(20_000, { forbidden });
    const bad = passwords.filter((password) => {
      const typed = password.toLowerCase();
      const joined = typed.replaceAll('-', '');
      return (
        !DEFAULT_SHAPE.test(password) ||
        !meetsPasswordRules(password, { forbidden }) ||
        forbidden.some((part) => typed.includes(part.toLowerCase()) || joined.includes(part.toLowerCase()))
      );
    });
    expect(bad).toEqual([]);
  });

  it('redraws rather than lets a forbidden part through when such parts are common', () => {
    // 300 random three-letter parts: about one password in six would contain one.
    const letters = 'abcdefghjkmnpqrstuvwxyz';
    const forbidden = Array.from({ length: 300 }, () =>
      Array.from({ length: 3 }, () => letters.charAt(randomInt(letters.length))).join(''),
    );
    const contains = (password: string): boolean => {
      const joined = password.toLowerCase().replaceAll('-', '');
      return forbidden.some((part) => joined.includes(part));
    };
    // The check below is only meaningful if unconstrained passwords do hit these parts.
    expect(samples.slice(0, 5_000).filter(contains).length).toBeGreaterThan(250);

    const passwords = generateMany(5_000, { forbidden });
    expect(passwords.filter((password) => contains(password) || !DEFAULT_SHAPE.test(password))).toEqual([]);
  });

  it(`is uniform over passwords with every class at each of the ${RANDOM_LENGTH} positions (chi-square, α = ${ALPHA})`, () => {
    const total = [...PASSWORD_ALPHABET].reduce((sum, char) => sum + exactExpectation(char), 0);
    expect(total).toBeCloseTo(1, 12);
    const statistics = positionStatistics(samples, exactExpectation);
    const rejected = statistics
      .map((statistic, position) => ({ position, statistic }))
      .filter(({ statistic }) => statistic > CRITICAL);
    expect(rejected).toEqual([]);
  });

  it('needs the exact expectation: a flat 1/56 per character does not fit its output', () => {
    const statistics = positionStatistics(samples, () => 1 / PASSWORD_ALPHABET.length);
    expect(statistics.some((statistic) => statistic > CRITICAL)).toBe(true);
  });

  it('writes a randomLength of 12 as three groups and 20 as five', () => {
    for (const password of generateMany(1_000, { randomLength: 12 })) {
      expect(password).toMatch(shape(3));
      expect(password).toHaveLength(14);
      expect(meetsPasswordRules(password, { randomLength: 12 })).toBe(true);
    }
    for (const password of generateMany(1_000, { randomLength: 20 })) {
      expect(password).toMatch(shape(5));
      expect(password).toHaveLength(24);
      expect(meetsPasswordRules(password, { randomLength: 20 })).toBe(true);
    }
  });

  it('ends with a shorter group when randomLength is not a multiple of four', () => {
    expect(generateTemporaryPassword({ randomLength: 13 })).toMatch(shape(3, 1));
    expect(generateTemporaryPassword({ randomLength: 63 })).toMatch(shape(15, 3));
    expect(generateTemporaryPassword({ randomLength: 64 }).replaceAll('-', '')).toHaveLength(64);
  });

  it.each([11, 0, -16, 12.5, 65, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses randomLength %s with INPUT_INVALID',
    (randomLength) => {
      const error = errorOf(() => generateTemporaryPassword({ randomLength }));
      expect(isAppError(error, 'INPUT_INVALID')).toBe(true);
    },
  );

  it('gives up with INPUT_INVALID instead of looping when the forbidden parts exclude every password', () => {
    // Every password has a dash after its fourth character: forbid each (case-folded) pair before it.
    const folded = [...new Set([...PASSWORD_ALPHABET.toLowerCase()])];
    const forbidden = folded.flatMap((a) => folded.map((b) => `${a}${b}-`));
    expect(isAppError(errorOf(() => generateTemporaryPassword({ forbidden })), 'INPUT_INVALID')).toBe(true);
  });
});

describe('the uniformity check', () => {
  it(`rejects a modulo-biased generator (randomBytes % 56) at the same α, so it can fail`, () => {
    source.biased = true;
    let biased: string[];
    try {
      biased = generateMany(SAMPLES);
    } finally {
      source.biased = false;
    }
    const statistics = positionStatistics(biased, exactExpectation);
    expect(statistics.every((statistic) => statistic > CRITICAL)).toBe(true);
  });
});

describe('meetsPasswordRules', () => {
  it('accepts a well-formed password', () => {
    expect(meetsPasswordRules('Kx7q-Rm4t-Wp9z-Hb3n')).toBe(true);
  });

  it.each([
    ['a missing digit', 'Kxaq-Rmbt-Wpcz-Hbdn'],
    ['a missing upper-case letter', 'kx7q-rm4t-wp9z-hb3n'],
    ['a missing lower-case letter', 'KX7Q-RM4T-WP9Z-HB3N'],
    ['a look-alike', 'Kx7q-Rm4t-Wp9z-Hb3O'],
    ['a misplaced dash', 'Kx7qR-m4t-Wp9z-Hb3n'],
    ['no dashes', 'Kx7qRm4tWp9zHb3n'],
    ['a character too many', 'Kx7q-Rm4t-Wp9z-Hb3n-a'],
    ['a trailing dash', 'Kx7q-Rm4t-Wp9z-Hb3n-'],
  ])('refuses a password with %s', (_reason, password) => {
    expect(meetsPasswordRules(password)).toBe(false);
  });

  it('refuses a forbidden part in any case, also across a dash, and ignores parts under three characters', () => {
    expect(meetsPasswordRules('Kx7q-JMUS-Wp9z-Hb3n', { forbidden: ['jmus'] })).toBe(false);
    expect(meetsPasswordRules('Kx7j-musz-Wp9z-Hb3n', { forbidden: ['jmus'] })).toBe(false);
    expect(meetsPasswordRules('Kx7q-Rm4t-Wp9z-Hb3n', { forbidden: ['Kx', 'Rm', '7q'] })).toBe(true);
  });
});

describe('forbiddenPartsFor', () => {
  it('gives the account name and each display-name part of three or more characters, lower-cased', () => {
    expect(forbiddenPartsFor('sbf_jmus', 'Joman Mus')).toEqual(['sbf_jmus', 'joman', 'mus']);
  });

  it("splits the display name on AD's delimiters: space, comma, dot, dash, underscore, tab and #", () => {
    expect(forbiddenPartsFor('x', 'Vries, de.Anna-Bert_Cees\tDirk#Eef  Jo')).toEqual([
      'vries',
      'anna',
      'bert',
      'cees',
      'dirk',
      'eef',
    ]);
  });

  it('drops an account name under three characters and repeated parts', () => {
    expect(forbiddenPartsFor('ab', 'Mus Mus')).toEqual(['mus']);
    expect(forbiddenPartsFor('jmus')).toEqual(['jmus']);
  });
});
