/**
 * The accounts every test DC is provisioned with. Kept apart from fixtures.ts so that
 * test/support/global-setup.ts, which runs outside vitest's workers, can import them without
 * importing the DC's location (test-dc.ts, which only a worker can read). Tests import these
 * through fixtures.ts.
 */
export const BASE_DN = 'DC=corp,DC=test';

export const DOMAIN_ADMIN = { dn: `CN=Administrator,CN=Users,${BASE_DN}`, password: 'Dc-Admin-Pass-2026!' };
export const SERVICE_ACCOUNT = {
  dn: `CN=svc-pwreset,CN=Users,${BASE_DN}`,
  sam: 'svc-pwreset',
  password: 'Svc-Reset-Pass-2026!',
};
/** The password every seeded person has before a test resets it. */
export const SEED_PASSWORD = 'Seed-Pass-2026!';
