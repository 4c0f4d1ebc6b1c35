/**
 * The environment's history as an admin reads it: one line per action, not the audit's intent and
 * outcome apart. Entries recorded under one correlation id (the intent, the reset, the mail, the
 * notice, a later reconciliation) are one action; an entry without one (a refused card, a sign-in)
 * is a line of its own. Newest first, refusals included. A pure function of the entries.
 */
import type { AuditAction, AuditEntry, AuditOutcome } from '../audit/audit-log.js';

export interface HistoryLine {
  /** When the action began. */
  readonly at: Date;
  readonly action: AuditAction;
  /** How it ended as far as the audit knows; `intent` while nothing else was recorded. */
  readonly outcome: AuditOutcome;
  readonly admin: string | null;
  /** The employee: sAMAccountName, else what was typed, else null (then `targetGuid`). */
  readonly target: string | null;
  readonly targetGuid: string | null;
  /** The mail's address, in full (this history is read by the environment's own admins). */
  readonly recipient: string | null;
  readonly language: 'nl' | 'en' | null;
  /** A notice went to the employee's own address. */
  readonly noticeSent: boolean;
  readonly errorCode: string | null;
}

/** The action a group of entries stands for: a mail's reset is part of the mail. */
function actionOf(group: readonly AuditEntry[]): AuditAction {
  const actions = new Set(group.map((e) => e.action));
  if (actions.has('mail')) return 'mail';
  const intent = group.find((e) => e.outcome === 'intent');
  return (intent ?? group[0] as AuditEntry).action;
}

/** Entries oldest first, grouped; lines newest first. */
export function historyLines(entries: readonly AuditEntry[]): HistoryLine[] {
  const ordered = [...entries].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const groups = new Map<string, AuditEntry[]>();
  for (const entry of ordered) {
    const key = entry.correlationId ? `c:${entry.correlationId}` : `e:${entry.id}`;
    const group = groups.get(key);
    if (group) group.push(entry);
    else groups.set(key, [entry]);
  }
  const lines: HistoryLine[] = [];
  for (const group of groups.values()) {
    const first = group[0] as AuditEntry;
    const action = actionOf(group);
    const settled = group.filter((e) => e.outcome !== 'intent');
    // The latest word on the action itself; else on any part of it (a mail's reset that got no answer).
    const last = settled.filter((e) => e.action === action).at(-1) ?? settled.filter((e) => e.action !== 'notice-mail').at(-1);
    const mail = group.find((e) => e.action === action && e.mail)?.mail ?? null;
    const target = group.find((e) => e.target?.sam)?.target ?? group.find((e) => e.target)?.target;
    lines.push({
      at: new Date(first.time),
      action,
      outcome: last?.outcome ?? 'intent',
      admin: first.admin.upn ?? first.admin.dn,
      target: target?.sam ?? target?.reference ?? null,
      targetGuid: target?.guid ?? null,
      recipient: mail?.recipient ?? null,
      language: mail?.language ?? null,
      noticeSent: group.some((e) => e.action === 'notice-mail' && e.outcome === 'success'),
      errorCode: last?.errorCode ?? null,
    });
  }
  return lines.sort((a, b) => b.at.getTime() - a.at.getTime());
}
