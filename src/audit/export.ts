/**
 * The operator's audit export: the entries of a period (and of some environments), oldest first,
 * as CSV (RFC 4180, for a spreadsheet) or JSON Lines (the entries as recorded). Entries are written
 * as they are read, in chunks: an export of 100,000 entries never holds them all. No password can
 * be in it: the audit's schema has no field for one.
 *
 * A cell that a spreadsheet would take for a formula (it starts with = + - @, a tab or a carriage
 * return, and is not a plain number) gets a leading apostrophe (OWASP, "CSV Injection"): admins
 * type the references and the policy texts end up in `detail`.
 */
import type { AuditEntry, AuditLog, AuditRange } from './audit-log.js';

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

type Cell = string | number | null | undefined;

/** The CSV columns, in order: the header and where each value comes from. */
export const CSV_COLUMNS: readonly { readonly header: string; readonly value: (entry: AuditEntry) => Cell }[] = [
  { header: 'time', value: (e) => e.time },
  { header: 'environment', value: (e) => e.environment },
  { header: 'action', value: (e) => e.action },
  { header: 'outcome', value: (e) => e.outcome },
  { header: 'admin_upn', value: (e) => e.admin.upn },
  { header: 'admin_dn', value: (e) => e.admin.dn },
  { header: 'admin_teams_id', value: (e) => e.admin.teamsId },
  { header: 'target_sam', value: (e) => e.target?.sam },
  { header: 'target_dn', value: (e) => e.target?.dn },
  { header: 'target_guid', value: (e) => e.target?.guid },
  { header: 'target_reference', value: (e) => e.target?.reference },
  { header: 'mail_recipient', value: (e) => e.mail?.recipient },
  { header: 'mail_language', value: (e) => e.mail?.language },
  { header: 'mail_message_id', value: (e) => e.mail?.messageId },
  { header: 'mail_smtp_response', value: (e) => e.mail?.smtpResponse },
  { header: 'error_code', value: (e) => e.errorCode },
  { header: 'detail', value: (e) => e.detail },
  { header: 'correlation_id', value: (e) => e.correlationId },
  { header: 'client_address', value: (e) => e.client?.address },
  { header: 'key_version', value: (e) => e.keyVersion },
  { header: 'pwd_last_set', value: (e) => e.pwdLastSet },
  { header: 'id', value: (e) => e.id },
];

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?$/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field: neutralized if a spreadsheet would run it, quoted (quotes doubled) if RFC 4180 asks. */
export function csvField(value: Cell): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record with its CRLF. */
export function csvRecord(values: readonly Cell[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

export interface ExportOptions {
  readonly range: AuditRange;
  readonly format: ExportFormat;
  /** Takes the output a chunk at a time; resolves when it can take more. */
  readonly write: (chunk: string) => Promise<void>;
}

const CHUNK_CHARS = 64 * 1024;

/** Writes the entries of `range`, oldest first (CSV: a header row first); returns how many. */
export async function exportAudit(audit: Pick<AuditLog, 'between'>, options: ExportOptions): Promise<number> {
  const { range, format, write } = options;
  let pending: string[] = [];
  let pendingChars = 0;
  const add = async (text: string): Promise<void> => {
    pending.push(text);
    pendingChars += text.length;
    if (pendingChars >= CHUNK_CHARS) await flush();
  };
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const chunk = pending.join('');
    pending = [];
    pendingChars = 0;
    await write(chunk);
  };

  if (format === 'csv') await add(csvRecord(CSV_COLUMNS.map((column) => column.header)));
  let count = 0;
  for await (const entry of audit.between(range)) {
    await add(format === 'csv' ? csvRecord(CSV_COLUMNS.map((column) => column.value(entry))) : `${JSON.stringify(entry)}\n`);
    count++;
  }
  await flush();
  return count;
}
