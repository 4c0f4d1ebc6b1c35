import { describe, expect, it } from 'vitest';

import {
  chiSquareCriticalValue,
  chiSquareStatistic,
  chiSquareSurvival,
  logGamma,
} from './chi-square.js';

describe('chi-square helper', () => {
  it('reproduces critical values from published chi-square tables', () => {
    expect(chiSquareCriticalValue(55, 0.05)).toBeCloseTo(73.311, 3);
    expect(chiSquareCriticalValue(10, 0.01)).toBeCloseTo(23.209, 3);
    expect(chiSquareCriticalValue(1, 0.05)).toBeCloseTo(3.841, 3);
    expect(chiSquareCriticalValue(50, 0.001)).toBeCloseTo(86.661, 3);
    expect(chiSquareCriticalValue(100, 0.001)).toBeCloseTo(149.449, 3);
  });

  it('stays accurate in the far tail the password tests use', () => {
    // Reference values from scipy.stats.chi2.isf / chi2.sf.
    expect(chiSquareCriticalValue(55, 1e-6 / 16)).toBeCloseTo(129.3736, 3);
    expect(chiSquareSurvival(100, 55) / 1.9904849841884047e-4).toBeCloseTo(1, 9);
    expect(chiSquareSurvival(500, 55) / 5.0226598538459486e-73).toBeCloseTo(1, 9);
    // For two degrees of freedom the tail is exactly exp(-x/2).
    for (const x of [0.1, 3, 40, 200]) {
      expect(chiSquareSurvival(x, 2) / Math.exp(-x / 2)).toBeCloseTo(1, 12);
    }
  });

  it('computes the survival function on both sides of its series/continued-fraction switch', () => {
    expect(chiSquareSurvival(0.5, 3)).toBeCloseTo(0.9188914116546758, 12);
    expect(chiSquareSurvival(0, 7)).toBe(1);
  });

  it('computes log-gamma for integers and halves', () => {
    expect(logGamma(1)).toBeCloseTo(0, 13);
    expect(logGamma(10)).toBeCloseTo(Math.log(362_880), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
  });

  it("computes Pearson's statistic", () => {
    expect(chiSquareStatistic([10, 20, 30], [20, 20, 20])).toBeCloseTo(10, 12);
  });
});
