/**
 * The one place that reads settings: the environment plus the tenants file, validated with zod,
 * frozen, and passed in. Errors name the setting and never echo its value (URLs and passwords hold
 * secrets).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { dnEquals, isDnWithin, parseDn } from '../directory/dn.js';
import { LANGUAGES } from '../i18n/translations.js';
import { deepFreeze } from '../util/deep-freeze.js';
import { isLoopback } from '../util/loopback.js';

/** LINK_TTL_HOURS: a mailed link works at most this long. */
export const LINK_MAX_TTL_HOURS = 72;

const booleanSetting = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const dnSetting = z.string().min(1).refine(
  (value) => {
    try {
      return parseDn(value).length > 0;
    } catch {
      return false;
    }
  },
  { message: 'must be a distinguished name such as OU=Hosting,DC=corp,DC=example' },
);

const urlWithProtocols = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

const envSchema = z
  .object({
    LDAP_URL: urlWithProtocols(['ldaps:', 'ldap:']),
    LDAP_STARTTLS: booleanSetting.default('false'),
    LDAP_CA_FILE: z.string().min(1).optional(),
    LDAP_BIND_DN: dnSetting,
    LDAP_BIND_PASSWORD: z.string().min(1, { message: 'must not be empty' }),
    LDAP_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(10_000),
    LDAP_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(8),
    SMTP_URL: urlWithProtocols(['smtp:', 'smtps:']),
    SMTP_CA_FILE: z.string().min(1).optional(),
    SMTP_ALLOW_PLAINTEXT: booleanSetting.default('false'),
    MAIL_FROM: z.string().min(3),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: urlWithProtocols(['postgres:', 'postgresql:']).optional(),
    TENANTS_FILE: z.string().min(1).default('./tenants.json'),
    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
    PASSWORD_LENGTH: z.coerce.number().int().min(12).max(64).default(16),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    BOT_ID: z.string().uuid({ message: 'must be the bot\'s Microsoft App ID (a GUID)' }).optional(),
    BOT_PASSWORD: z.string().min(1).optional(),
    BOT_TENANT_ID: z.string().uuid({ message: 'must be the bot\'s Entra tenant id (a GUID)' }).optional(),
    BOT_TYPE: z.enum(['SingleTenant', 'MultiTenant', 'UserAssignedMSI']).default('SingleTenant'),
    DANGEROUSLY_ALLOW_UNAUTHENTICATED: booleanSetting.default('false'),
    PORT: z.coerce.number().int().min(1).max(65535).default(3978),
    SESSION_TTL_MINUTES: z.coerce.number().int().min(5).max(7 * 24 * 60).default(480),
    SIGN_IN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
    SIGN_IN_WINDOW_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
    SIGN_IN_FAILURE_MIN_MS: z.coerce.number().int().min(0).max(10_000).default(800),
    PUBLIC_URL: urlWithProtocols(['https:', 'http:']).optional(),
    LINK_TTL_HOURS: z.coerce.number().int().min(1).max(LINK_MAX_TTL_HOURS).default(24),
    OUTCOME_POLL_SECONDS: z.coerce.number().int().min(1).max(24 * 60 * 60).default(60),
    TEMP_PASSWORD_MAX_MINUTES: z.coerce.number().int().min(1).max(30 * 24 * 60).default(1440),
    LIST_POLL_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
    LIST_RELOAD_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(10),
  })
  .superRefine((env, ctx) => {
    const ldap = new URL(env.LDAP_URL);
    if (ldap.protocol === 'ldap:' && !env.LDAP_STARTTLS) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['LDAP_URL'],
        message: 'plain LDAP is refused: use ldaps://, or ldap:// with LDAP_STARTTLS=true',
      });
    }
    if (ldap.protocol === 'ldaps:' && env.LDAP_STARTTLS) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['LDAP_STARTTLS'],
        message: 'StartTLS applies to ldap:// only; ldaps:// is already encrypted',
      });
    }
    if (!env.BOT_ID && !env.DANGEROUSLY_ALLOW_UNAUTHENTICATED) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['BOT_ID'],
        message:
          'is required (with BOT_PASSWORD and BOT_TENANT_ID) to check that requests come from Teams; for a local trial only, set DANGEROUSLY_ALLOW_UNAUTHENTICATED=true',
      });
    }
    if (env.BOT_ID && env.BOT_TYPE !== 'UserAssignedMSI' && !env.BOT_PASSWORD) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['BOT_PASSWORD'], message: `is required with BOT_TYPE=${env.BOT_TYPE}` });
    }
    if (env.BOT_ID && env.BOT_TYPE !== 'MultiTenant' && !env.BOT_TENANT_ID) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['BOT_TENANT_ID'], message: `is required with BOT_TYPE=${env.BOT_TYPE}` });
    }
    if (env.PUBLIC_URL !== undefined) {
      const url = new URL(env.PUBLIC_URL);
      if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['PUBLIC_URL'], message: 'must be https:// (http:// only for a loopback host, for local trials)' });
      }
      if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['PUBLIC_URL'], message: 'must be an address without query, fragment or credentials' });
      }
    }
    const smtp = new URL(env.SMTP_URL);
    if (env.SMTP_ALLOW_PLAINTEXT && !isLoopback(smtp.hostname)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['SMTP_ALLOW_PLAINTEXT'],
        message: 'plaintext SMTP is allowed only to a loopback host (127.0.0.1, ::1, localhost)',
      });
    }
  });

const languageSchema = z.enum(LANGUAGES);

/** An environment's key (`tenants[].key`), as the audit records it. */
export const tenantKeySchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { message: 'must be lower-case letters, digits and dashes' });

export const tenantSchema = z
  .object({
    key: tenantKeySchema,
    name: z.string().min(1).max(100),
    baseDn: dnSetting,
    adminGroupDn: dnSetting,
    samPrefix: z.string().regex(/^[A-Za-z0-9._-]{1,10}$/).optional(),
    netbiosDomain: z.string().regex(/^[A-Za-z0-9-]{1,15}$/).optional(),
    language: languageSchema,
    /** A Password Change Portal run elsewhere; without it the mail points at this bot's own (PUBLIC_URL + /change). */
    changePortalUrl: urlWithProtocols(['https:']).optional(),
    /** `password`: Mail password mails a temporary password (the seed); `link`: a single-use link to choose one. */
    mailMode: z.enum(['password', 'link']).default('password'),
    teamsTenantIds: z.array(z.string().uuid({ message: 'must be a Teams (Entra) tenant id (a GUID)' })),
    /** Groups (nesting included) whose members this environment's admins may never reset. */
    protectedGroupDns: z.array(dnSetting).max(50).default([]),
  })
  .strict();

const tenantsFileSchema = z
  .object({
    /** Groups (nesting included) whose members no environment's admin may reset: the provider's own staff. */
    protectedGroupDns: z.array(dnSetting).max(50).default([]),
    tenants: z.array(tenantSchema).min(1, { message: 'must list at least one environment' }),
  })
  .strict()
  .superRefine((file, ctx) => {
    file.tenants.forEach((tenant, i) => {
      file.tenants.forEach((other, j) => {
        if (j === i) return;
        if (j > i && tenant.key === other.key) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['tenants', j, 'key'], message: 'is used twice' });
        }
        if (j > i && dnEquals(tenant.baseDn, other.baseDn)) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['tenants', j, 'baseDn'],
            message: `is the same OU as environment "${tenant.key}"`,
          });
        } else if (isDnWithin(other.baseDn, tenant.baseDn) && !dnEquals(tenant.baseDn, other.baseDn)) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['tenants', j, 'baseDn'],
            message: `lies inside environment "${tenant.key}": environments must not nest`,
          });
        }
      });
    });
  });

/** An environment; `changePortalUrl` is resolved: its own, or this bot's portal for it. */
export type Tenant = Readonly<Omit<z.infer<typeof tenantSchema>, 'changePortalUrl'> & { changePortalUrl: string }>;

/** The path of the Password Change Portal on the bot's own HTTP server. */
export const PORTAL_PATH = '/change';

/** This bot's portal address for an environment: PUBLIC_URL + /change?env=<key>. */
export function ownPortalUrl(publicUrl: string, tenantKey: string): string {
  const url = new URL(`${publicUrl.replace(/\/+$/, '')}${PORTAL_PATH}`);
  url.searchParams.set('env', tenantKey);
  return url.toString();
}

export interface Config {
  readonly ldap: {
    readonly url: string;
    readonly startTls: boolean;
    readonly caFile: string | undefined;
    readonly bindDn: string;
    readonly bindPassword: string;
    readonly timeoutMs: number;
    readonly poolSize: number;
  };
  readonly smtp: {
    readonly url: string;
    readonly caFile: string | undefined;
    readonly allowPlaintext: boolean;
    readonly from: string;
  };
  readonly dataDir: string;
  /** PostgreSQL for the state (several instances); without it, files in `dataDir` (one instance). */
  readonly databaseUrl: string | undefined;
  readonly auditRetentionDays: number;
  readonly passwordLength: number;
  readonly logLevel: string;
  readonly bot: {
    /** Empty when unauthenticated local mode is on. */
    readonly appId: string;
    readonly appPassword: string;
    readonly appType: 'SingleTenant' | 'MultiTenant' | 'UserAssignedMSI';
    readonly tenantId: string;
    /** No Bot Framework authentication: only on loopback, only for trying it out. */
    readonly unauthenticated: boolean;
    readonly port: number;
    /** 127.0.0.1 in unauthenticated mode, all interfaces otherwise. */
    readonly host: string;
  };
  readonly sessionTtlMinutes: number;
  readonly signIn: {
    readonly maxFailures: number;
    readonly windowMinutes: number;
    /** Every failed sign-in answers after at least this long, so answer times tell nothing. */
    readonly failureMinMs: number;
  };
  /** Where this bot is reached from outside (the portal's links); undefined when every environment has its own portal. */
  readonly publicUrl: string | undefined;
  /** How long a link mailed in link mode works. */
  readonly linkTtlHours: number;
  /** What becomes of temporary passwords (src/reset/follow-up.ts). */
  readonly followUp: {
    /** How often one instance looks whether employees have chosen their password. */
    readonly pollSeconds: number;
    /** A temporary password unused this long is replaced by one nobody knows. */
    readonly tempPasswordMaxMinutes: number;
  };
  /** The environments' lists in memory: how often changes are read, and the whole list again. */
  readonly list: {
    readonly pollSeconds: number;
    readonly reloadMinutes: number;
  };
  /** The tenants file's own `protectedGroupDns`: protected in every environment. */
  readonly protectedGroupDns: readonly string[];
  readonly tenants: readonly Tenant[];
}

/** A configuration error: lists each bad setting by name, never by value. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super(`Configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function describeIssues(issues: z.ZodIssue[], prefix: string): string[] {
  return issues.map((issue) => {
    const path = issue.path.length ? issue.path.join('.') : '(file)';
    // zod's own messages for type errors can quote the received value: use generic wording then.
    let message = issue.message;
    if (issue.code === z.ZodIssueCode.invalid_type) {
      message = issue.received === 'undefined' ? 'is required' : `must be a ${issue.expected}`;
    } else if (issue.code === z.ZodIssueCode.invalid_enum_value) {
      message = `must be one of ${issue.options.join(', ')}`;
    }
    return `${prefix}${path}: ${message}`;
  });
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** Empty strings count as unset, as in a .env file with `NAME=`. */
function presentSettings(env: Environment): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
}

/** Where the state is kept: what a tool that only reads it (the audit export) needs. */
export type StoreSettings = Pick<Config, 'dataDir' | 'databaseUrl' | 'auditRetentionDays'>;

/**
 * Only the state store's settings (DATA_DIR, DATABASE_URL, AUDIT_RETENTION_DAYS), validated as
 * `loadConfig` does: for a tool that reads the state beside a running bot and needs neither the
 * directory, the mail server nor the tenants file. Throws ConfigError naming each bad setting.
 */
export function loadStoreSettings(env: Environment): StoreSettings {
  const fields = envSchema.innerType().pick({ DATA_DIR: true, DATABASE_URL: true, AUDIT_RETENTION_DAYS: true });
  const parsed = fields.safeParse(presentSettings(env));
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues, ''));
  return deepFreeze({ dataDir: parsed.data.DATA_DIR, databaseUrl: parsed.data.DATABASE_URL, auditRetentionDays: parsed.data.AUDIT_RETENTION_DAYS });
}

/** Reads and validates everything; throws ConfigError naming each bad setting. */
export function loadConfig(
  env: Environment,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): Config {
  const parsed = envSchema.safeParse(presentSettings(env));
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues, ''));
  const settings = parsed.data;

  let raw: unknown;
  try {
    raw = JSON.parse(readFile(settings.TENANTS_FILE));
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'is not valid JSON' : 'cannot be read';
    throw new ConfigError([`TENANTS_FILE: the tenants file ${reason}`]);
  }
  const tenants = tenantsFileSchema.safeParse(raw);
  if (!tenants.success) throw new ConfigError(describeIssues(tenants.error.issues, 'TENANTS_FILE: '));
  const publicUrl = settings.PUBLIC_URL?.replace(/\/+$/, '');
  if (publicUrl === undefined) {
    const problems = tenants.data.tenants.flatMap((tenant, i) => [
      ...(tenant.changePortalUrl === undefined ? [`PUBLIC_URL: is required, because environment "${tenant.key}" (tenants.${i}) has no changePortalUrl`] : []),
      ...(tenant.mailMode === 'link' ? [`PUBLIC_URL: is required, because environment "${tenant.key}" (tenants.${i}) uses mailMode "link"`] : []),
    ]);
    if (problems.length > 0) throw new ConfigError(problems);
  }

  return deepFreeze({
    ldap: {
      url: settings.LDAP_URL,
      startTls: settings.LDAP_STARTTLS,
      caFile: settings.LDAP_CA_FILE,
      bindDn: settings.LDAP_BIND_DN,
      bindPassword: settings.LDAP_BIND_PASSWORD,
      timeoutMs: settings.LDAP_TIMEOUT_MS,
      poolSize: settings.LDAP_POOL_SIZE,
    },
    smtp: {
      url: settings.SMTP_URL,
      caFile: settings.SMTP_CA_FILE,
      allowPlaintext: settings.SMTP_ALLOW_PLAINTEXT,
      from: settings.MAIL_FROM,
    },
    dataDir: settings.DATA_DIR,
    databaseUrl: settings.DATABASE_URL,
    auditRetentionDays: settings.AUDIT_RETENTION_DAYS,
    passwordLength: settings.PASSWORD_LENGTH,
    logLevel: settings.LOG_LEVEL,
    bot: {
      appId: settings.BOT_ID ?? '',
      appPassword: settings.BOT_PASSWORD ?? '',
      appType: settings.BOT_TYPE,
      tenantId: settings.BOT_TENANT_ID ?? '',
      unauthenticated: !settings.BOT_ID,
      port: settings.PORT,
      host: settings.BOT_ID ? '0.0.0.0' : '127.0.0.1',
    },
    sessionTtlMinutes: settings.SESSION_TTL_MINUTES,
    signIn: {
      maxFailures: settings.SIGN_IN_MAX_FAILURES,
      windowMinutes: settings.SIGN_IN_WINDOW_MINUTES,
      failureMinMs: settings.SIGN_IN_FAILURE_MIN_MS,
    },
    publicUrl,
    linkTtlHours: settings.LINK_TTL_HOURS,
    followUp: {
      pollSeconds: settings.OUTCOME_POLL_SECONDS,
      tempPasswordMaxMinutes: settings.TEMP_PASSWORD_MAX_MINUTES,
    },
    list: {
      pollSeconds: settings.LIST_POLL_SECONDS,
      reloadMinutes: settings.LIST_RELOAD_MINUTES,
    },
    protectedGroupDns: tenants.data.protectedGroupDns,
    tenants: tenants.data.tenants.map((tenant) => ({
      ...tenant,
      changePortalUrl: tenant.changePortalUrl ?? ownPortalUrl(publicUrl as string, tenant.key),
    })),
  });
}
