/**
 * Pearson's chi-square test, for checking that generated characters are uniform. No statistics
 * package is a dependency, so the chi-square tail comes from the regularized incomplete gamma
 * function (series and continued fraction, as in Numerical Recipes §6.2).
 */

/** Pearson's statistic Σ (observed − expected)² / expected. */
export function chiSquareStatistic(observed: readonly number[], expected: readonly number[]): number {
  if (observed.length !== expected.length) throw new Error('observed and expected differ in length');
  let statistic = 0;
  observed.forEach((count, i) => {
    const e = expected[i] ?? Number.NaN;
    statistic += ((count - e) * (count - e)) / e;
  });
  return statistic;
}

/** P(X ≥ x) for X chi-square distributed with `df` degrees of freedom. */
export function chiSquareSurvival(x: number, df: number): number {
  if (x <= 0) return 1;
  return regularizedUpperGamma(df / 2, x / 2);
}

/** The x with P(X ≥ x) = alpha: reject uniformity when the statistic exceeds it. */
export function chiSquareCriticalValue(df: number, alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new Error('alpha must lie strictly between 0 and 1');
  // The survival function falls monotonically, so bisection is slow but cannot go wrong.
  let low = 0;
  let high = Math.max(1, df);
  while (chiSquareSurvival(high, df) > alpha) high *= 2;
  for (let i = 0; i < 200 && high - low > 1e-12 * high; i += 1) {
    const mid = (low + high) / 2;
    if (chiSquareSurvival(mid, df) > alpha) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** Q(a, x) = Γ(a, x) / Γ(a). */
export function regularizedUpperGamma(a: number, x: number): number {
  if (!(a > 0) || x < 0) throw new Error('regularizedUpperGamma needs a > 0 and x ≥ 0');
  if (x === 0) return 1;
  // Each expansion converges fast on its own side of a + 1; taking the complement of the series
  // there would lose all precision in the small tail probabilities the tests care about.
  return x < a + 1 ? 1 - lowerGammaSeries(a, x) : upperGammaContinuedFraction(a, x);
}

const EPSILON = 1e-15;
const TINY = 1e-300;
const MAX_ITERATIONS = 10_000;

/** P(a, x) by its power series. */
function lowerGammaSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_ITERATIONS; n += 1) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPSILON) {
      return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
    }
  }
  throw new Error('incomplete gamma series did not converge');
}

/** Q(a, x) by its continued fraction, evaluated with the modified Lentz method. */
function upperGammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i += 1) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) {
      return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
    }
  }
  throw new Error('incomplete gamma continued fraction did not converge');
}

// Lanczos approximation (g = 7, n = 9): ~15 significant digits for a > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

export function logGamma(z: number): number {
  if (z < 0.5) {
    // Reflection: the approximation is only accurate for z ≥ 0.5.
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * z))) - logGamma(1 - z);
  }
  const zm1 = z - 1;
  let sum = LANCZOS[0] ?? 0;
  for (let i = 1; i < LANCZOS.length; i += 1) sum += (LANCZOS[i] ?? 0) / (zm1 + i);
  const t = zm1 + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (zm1 + 0.5) * Math.log(t) - t + Math.log(sum);
}
