import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { tenantsFileContent } from '../support/harness.js';

const SECRET = 'S3cret-Value-That-Must-Not-Show';

const base: Record<string, string> = {
  LDAP_URL: 'ldaps://dc1.corp.example:636',
  LDAP_BIND_DN: 'CN=svc-pwreset,CN=Users,DC=corp,DC=example',
  LDAP_BIND_PASSWORD: SECRET,
  SMTP_URL: `smtp://user:${SECRET}@mail.example.nl:587`,
  MAIL_FROM: 'helpdesk@example.nl',
  TENANTS_FILE: '/config/tenants.json',
  BOT_ID: '33333333-3333-4333-8333-333333333333',
  BOT_PASSWORD: SECRET,
  BOT_TENANT_ID: '44444444-4444-4444-8444-444444444444',
};

function load(env: Record<string, string | undefined>, tenants: string = tenantsFileContent()) {
  return loadConfig(env, () => tenants);
}

function problems(env: Record<string, string | undefined>, tenants?: string): string[] {
  try {
    load(env, tenants);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).not.toContain(SECRET);
    return [...(error as ConfigError).problems];
  }
  throw new Error('the configuration was accepted');
}

function tenantsWith(change: (tenants: Record<string, unknown>[]) => void): string {
  const file = JSON.parse(tenantsFileContent()) as { tenants: Record<string, unknown>[] };
  change(file.tenants);
  return JSON.stringify(file);
}

describe('configuration', () => {
  it('loads valid settings with defaults, frozen', () => {
    const config = load(base);
    expect(config.dataDir).toBe('./data');
    expect(config.auditRetentionDays).toBe(365);
    expect(config.passwordLength).toBe(16);
    expect(config.tenants.map((t) => t.key)).toEqual(['hosting', 'acme', 'fabrikam']);
    expect(Object.isFrozen(config.tenants[0])).toBe(true);
    expect(() => {
      (config as { dataDir: string }).dataDir = '/tmp';
    }).toThrow();
  });

  it('reads how fresh the lists in memory are kept, naming a bad value\'s setting', () => {
    expect(load(base).list).toEqual({ pollSeconds: 5, reloadMinutes: 10 });
    expect(load({ ...base, LIST_POLL_SECONDS: '2', LIST_RELOAD_MINUTES: '30' }).list).toEqual({ pollSeconds: 2, reloadMinutes: 30 });
    expect(problems({ ...base, LIST_POLL_SECONDS: '0' })).toEqual([expect.stringMatching(/^LIST_POLL_SECONDS: /)]);
    expect(problems({ ...base, LIST_RELOAD_MINUTES: 'soon' })).toEqual([expect.stringMatching(/^LIST_RELOAD_MINUTES: /)]);
  });

  it('refuses plain ldap:// without StartTLS, naming LDAP_URL', () => {
    expect(problems({ ...base, LDAP_URL: 'ldap://dc1.corp.example' })).toEqual([expect.stringMatching(/^LDAP_URL: plain LDAP is refused/)]);
    expect(load({ ...base, LDAP_URL: 'ldap://dc1.corp.example', LDAP_STARTTLS: 'true' }).ldap.startTls).toBe(true);
  });

  it('names each missing setting without echoing any value', () => {
    const found = problems({ LDAP_BIND_PASSWORD: SECRET });
    for (const name of ['LDAP_URL', 'LDAP_BIND_DN', 'SMTP_URL', 'MAIL_FROM']) {
      expect(found).toContainEqual(`${name}: is required`);
    }
  });

  it('names a bad value without echoing it', () => {
    expect(problems({ ...base, SMTP_URL: `http://x:${SECRET}@mail` })).toEqual([expect.stringMatching(/^SMTP_URL: must be a URL/)]);
    expect(problems({ ...base, LOG_LEVEL: SECRET })).toEqual([expect.stringMatching(/^LOG_LEVEL: must be one of/)]);
    expect(problems({ ...base, PASSWORD_LENGTH: '8' })).toEqual([expect.stringMatching(/^PASSWORD_LENGTH:/)]);
  });

  it('refuses to start without BOT_ID unless the dangerous local switch is on, and then binds to loopback', () => {
    const { BOT_ID: _id, ...withoutBot } = base;
    expect(problems(withoutBot)).toEqual([expect.stringMatching(/^BOT_ID: is required .*DANGEROUSLY_ALLOW_UNAUTHENTICATED=true/)]);
    const local = load({ ...withoutBot, DANGEROUSLY_ALLOW_UNAUTHENTICATED: 'true' });
    expect(local.bot).toMatchObject({ unauthenticated: true, host: '127.0.0.1', port: 3978 });
    expect(load(base).bot).toMatchObject({ unauthenticated: false, host: '0.0.0.0', appType: 'SingleTenant' });
    expect(problems({ ...base, BOT_TENANT_ID: undefined })).toEqual(['BOT_TENANT_ID: is required with BOT_TYPE=SingleTenant']);
  });

  it('allows plaintext SMTP only to a loopback host', () => {
    expect(problems({ ...base, SMTP_ALLOW_PLAINTEXT: 'true' })).toEqual([expect.stringMatching(/^SMTP_ALLOW_PLAINTEXT: .*loopback/)]);
    expect(load({ ...base, SMTP_URL: 'smtp://127.0.0.1:2525', SMTP_ALLOW_PLAINTEXT: 'true' }).smtp.allowPlaintext).toBe(true);
  });

  it('refuses environments whose base DNs nest, however the DN is written', () => {
    const nested = tenantsWith((t) => {
      t[1]!['baseDn'] = 'ou=Sub , OU=Hosting,OU=Tenants,dc=CORP,DC=test';
    });
    expect(problems(base, nested)).toEqual([expect.stringMatching(/^TENANTS_FILE: tenants\.1\.baseDn: lies inside environment "hosting"/)]);
    const sibling = tenantsWith((t) => {
      t[1]!['baseDn'] = 'OU=Hosting2,OU=Tenants,DC=corp,DC=test';
    });
    expect(load(base, sibling).tenants).toHaveLength(3);
  });

  it('names a bad tenants file entry', () => {
    const bad = tenantsWith((t) => {
      t[0]!['changePortalUrl'] = 'http://insecure.example';
      t[0]!['teamsTenantIds'] = ['not-a-guid'];
    });
    const found = problems(base, bad);
    expect(found).toContainEqual(expect.stringMatching(/^TENANTS_FILE: tenants\.0\.changePortalUrl: must be a URL starting with https:/));
    expect(found).toContainEqual(expect.stringMatching(/^TENANTS_FILE: tenants\.0\.teamsTenantIds\.0: /));
    expect(problems(base, '{not json')).toEqual(['TENANTS_FILE: the tenants file is not valid JSON']);
  });
});

describe('tenants.example.json', () => {
  it('is a valid tenants file', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('../../tenants.example.json', import.meta.url), 'utf8');
    expect(load(base, text).tenants.map((t) => t.key)).toEqual(['hosting', 'acme']);
  });
});
