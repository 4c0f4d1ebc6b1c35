/**
 * `npm run -s audit -- [--environment <key>]… [--from <date>] [--to <date>] [--format csv|jsonl]`:
 * the audit entries of a period to standard output (src/audit/export.ts), from the store the bot's
 * settings name (DATA_DIR, or DATABASE_URL; environment or ./.env), read-only and beside a running
 * bot. A summary and warnings go to standard error. Exit code 0; 2 for bad arguments (nothing
 * written to standard output); 1 when the settings or the store fail.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, loadStoreSettings, tenantKeySchema } from '../config/config.js';
import { DotEnvError, readEnvironment } from '../config/environment.js';
import { AppError } from '../errors/catalog.js';
import { createLogger } from '../log/logger.js';
import { openAuditReader, type AuditReader } from '../state/create-state.js';
import { embeddedAuditDir } from '../state/embedded/index.js';
import type { AuditFileEvent, AuditRange } from './audit-log.js';
import { EXPORT_FORMATS, exportAudit, type ExportFormat } from './export.js';

const USAGE = `Usage: npm run -s audit -- [options] > audit.csv

Writes the audit entries of a period to standard output, oldest first, from the store the bot's
settings name (DATA_DIR, or DATABASE_URL when set; from the environment or ./.env). It only reads,
and may run while the bot runs.

Options:
  --environment <key>  only this environment (a tenant key from the tenants file); repeat it for
                       several; without it, every environment (and entries without one, such as
                       refused sign-ins)
  --from <date>        from this UTC day (YYYY-MM-DD) or instant (YYYY-MM-DDTHH:MM[:SS]Z), included;
                       without it, from the oldest entry kept
  --to <date>          up to this UTC day, included (YYYY-MM-DD), or up to this instant, not
                       included (YYYY-MM-DDTHH:MM[:SS]Z); without it, up to the newest entry
  --format csv|jsonl   csv (default): RFC 4180, a header row, one row per entry;
                       jsonl: one JSON object per line, each entry as recorded
  --help               this text

Example: npm run -s audit -- --environment hosting --from 2026-11-01 --to 2026-11-30 > hosting-2026-11.csv`;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z$/;

/** A UTC day or instant as its first millisecond; undefined if it is not one (2026-02-30 is not). */
function parseWhen(text: string): number | undefined {
  if (!DAY.test(text) && !INSTANT.test(text)) return undefined;
  const ms = Date.parse(DAY.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text.slice(0, 10)) return undefined;
  return ms;
}

const when = z.string().refine((text) => parseWhen(text) !== undefined, { message: 'must be a UTC date, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ' });
const once = <T extends z.ZodTypeAny>(item: T) => z.array(item).max(1, { message: 'is given more than once' }).optional();

const argsSchema = z
  .object({
    environment: z.array(tenantKeySchema).optional(),
    from: once(when),
    to: once(when),
    format: once(z.enum(EXPORT_FORMATS, { message: `must be ${EXPORT_FORMATS.join(' or ')}` })),
    help: z.boolean().optional(),
  })
  .strict()
  .transform(({ environment, from, to, format, help }) => {
    const fromText = from?.[0];
    const toText = to?.[0];
    const toMs = toText === undefined ? undefined : (parseWhen(toText) as number) + (DAY.test(toText) ? 24 * 60 * 60 * 1000 : 0);
    return {
      help: help === true,
      format: (format?.[0] ?? 'csv') as ExportFormat,
      range: {
        ...(fromText === undefined ? {} : { from: new Date(parseWhen(fromText) as number) }),
        ...(toMs === undefined ? {} : { to: new Date(toMs) }),
        ...(environment === undefined ? {} : { environments: [...new Set(environment)] }),
      } satisfies AuditRange,
    };
  })
  .refine(({ range }) => range.from === undefined || range.to === undefined || range.from < range.to, { message: 'must be after --from', path: ['to'] });

type Args = z.infer<typeof argsSchema>;

/** The arguments, or what is wrong with them, each problem naming its option. */
function parseAuditArgs(argv: readonly string[]): { ok: true; args: Args } | { ok: false; problems: string[] } {
  let values: unknown;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        environment: { type: 'string', multiple: true },
        from: { type: 'string', multiple: true },
        to: { type: 'string', multiple: true },
        format: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return { ok: false, problems: [argumentProblem(error)] };
  }
  const parsed = argsSchema.safeParse(values);
  if (parsed.success) return { ok: true, args: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((issue) => (issue.path.length > 0 ? `--${String(issue.path[0])}: ${issue.message}` : issue.message)) };
}

/** node:util parseArgs' refusals, reworded to name the option (or the stray argument) first. */
function argumentProblem(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'(?:-\w, )?([^' ]+)/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `${quoted}: is not an option (see --help)`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `${quoted}: ${/ambiguous|missing/.test(message) ? 'needs a value' : 'takes no value'}`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `${quoted}: is not an option; options are written --name value (see --help)`;
  return message;
}

function describeEvent(event: AuditFileEvent): string | undefined {
  if (event.kind === 'skipped-lines') return `warning: ${event.file}: ${event.count} line(s) left out (cut short, or not a valid entry)`;
  if (event.kind === 'legacy-not-read') return `warning: ${event.file} is a month file of an earlier version and was left out; the bot converts it when it starts`;
  return undefined;
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseAuditArgs(argv);
  if (!parsed.ok) {
    console.error(`audit export: ${new AppError('INPUT_INVALID', { detail: parsed.problems.join('; ') }).userMessage('en')}\nSee: npm run audit -- --help`);
    return 2;
  }
  const { args } = parsed;
  if (args.help) {
    console.log(USAGE);
    return 0;
  }

  let settings;
  try {
    settings = loadStoreSettings(readEnvironment(join(process.cwd(), '.env')));
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DotEnvError) {
      console.error(`audit export: ${error.message}\nSee README.md, "Settings".`);
      return 1;
    }
    throw error;
  }

  if (!settings.databaseUrl && !existsSync(embeddedAuditDir(settings.dataDir))) {
    console.error(`warning: ${embeddedAuditDir(settings.dataDir)} does not exist: no entry was ever recorded there (is DATA_DIR the bot's?)`);
  }
  let stdoutClosed = false;
  const write = (chunk: string): Promise<void> =>
    new Promise((resolve, reject) => {
      process.stdout.write(chunk, (error) => (error ? reject(error) : resolve()));
    });
  process.stdout.on('error', () => {
    stdoutClosed = true; // reported through the write's callback
  });
  let reader: AuditReader | undefined;
  try {
    reader = await openAuditReader(settings, {
      log: createLogger('warn', process.stderr),
      onFileEvent: (event) => {
        const text = describeEvent(event);
        if (text !== undefined) console.error(text);
      },
    });
    const count = await exportAudit(reader.audit, { range: args.range, format: args.format, write });
    const store = settings.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `DATA_DIR ${settings.dataDir}`;
    const { from, to, environments } = args.range;
    console.error(
      `audit export: ${count} ${count === 1 ? 'entry' : 'entries'} from ${store}; ${from?.toISOString() ?? 'the oldest kept'} to ${to === undefined ? 'the newest' : `${to.toISOString()} (not included)`}; ${environments ? `environment ${environments.join(', ')}` : 'every environment'}`,
    );
    return 0;
  } catch (error) {
    if (stdoutClosed || (error as { code?: unknown }).code === 'EPIPE') return 0; // the reader stopped reading (| head)
    const appError = error instanceof AppError ? error : new AppError('INTERNAL', { cause: error });
    const cause = appError.cause instanceof Error && !(appError.cause instanceof AppError) ? ` (${appError.cause.message})` : '';
    console.error(`audit export failed: ${appError.code}: ${appError.userMessage('en')}${appError.code === 'CONFIG_INVALID' ? '' : cause}`);
    return 1;
  } finally {
    await reader?.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
