import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/audit-log.js';
import { historyLines } from '../../src/employees/history.js';

const admin = { dn: 'CN=Hosting Admin,OU=Hosting', upn: 'admin@mijnsynergy.nl', teamsId: null };
const jmus = { dn: 'CN=Joman Mus,OU=Hosting', sam: 'sbf_jmus', guid: '6f1c1c36-0d3e-4d4e-9a57-1c1f5f0c2a11' };
let n = 0;
function entry(time: string, fields: Partial<AuditEntry>): AuditEntry {
  n += 1;
  return { id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, time: `2026-03-05T${time}:00.000Z`, environment: 'hosting', admin, target: jmus, action: 'reset', outcome: 'success', ...fields };
}

describe('history, one line per action', () => {
  it('takes the intent and its outcomes as one line, newest first, refusals included', () => {
    const mail = { recipient: 'joman.mus@mijnsynergy.nl', language: 'en' as const };
    const lines = historyLines([
      entry('10:00', { outcome: 'intent', correlationId: 'c1' }),
      entry('10:00', { outcome: 'success', correlationId: 'c1' }),
      entry('10:05', { action: 'mail', outcome: 'intent', correlationId: 'c2', mail }),
      entry('10:05', { action: 'reset', outcome: 'success', correlationId: 'c2' }),
      entry('10:05', { action: 'mail', outcome: 'success', correlationId: 'c2', mail: { ...mail, messageId: '<m@x>' } }),
      entry('10:05', { action: 'notice-mail', outcome: 'success', correlationId: 'c2', mail: { recipient: 'other@x.nl', language: 'en' } }),
      entry('10:07', { outcome: 'refused', errorCode: 'CARD_ALREADY_USED', target: { dn: null, sam: null, guid: jmus.guid } }),
      entry('10:09', { outcome: 'intent', correlationId: 'c3' }),
      entry('10:09', { outcome: 'unknown', correlationId: 'c3', errorCode: 'DIRECTORY_OUTCOME_UNKNOWN' }),
      entry('10:14', { outcome: 'applied', correlationId: 'c3' }),
      entry('10:20', { action: 'unlock', outcome: 'intent', correlationId: 'c4' }),
    ]);
    expect(lines.map((l) => [l.at.toISOString().slice(11, 16), l.action, l.outcome, l.target])).toEqual([
      ['10:20', 'unlock', 'intent', 'sbf_jmus'],
      ['10:09', 'reset', 'applied', 'sbf_jmus'],
      ['10:07', 'reset', 'refused', null],
      ['10:05', 'mail', 'success', 'sbf_jmus'],
      ['10:00', 'reset', 'success', 'sbf_jmus'],
    ]);
    expect(lines[3]).toMatchObject({ recipient: 'joman.mus@mijnsynergy.nl', language: 'en', noticeSent: true });
    expect(lines[2]).toMatchObject({ errorCode: 'CARD_ALREADY_USED', targetGuid: jmus.guid });
  });

  it('a mail whose reset got no answer reads as unknown; one whose mail failed reads as failed', () => {
    const mail = { recipient: 'joman.mus@mijnsynergy.nl', language: 'nl' as const };
    const [unknown] = historyLines([
      entry('11:00', { action: 'mail', outcome: 'intent', correlationId: 'u', mail }),
      entry('11:00', { action: 'reset', outcome: 'unknown', correlationId: 'u' }),
    ]);
    expect(unknown).toMatchObject({ action: 'mail', outcome: 'unknown' });
    const [failed] = historyLines([
      entry('12:00', { action: 'mail', outcome: 'intent', correlationId: 'f', mail }),
      entry('12:00', { action: 'reset', outcome: 'success', correlationId: 'f' }),
      entry('12:00', { action: 'mail', outcome: 'failed', correlationId: 'f', mail, errorCode: 'MAIL_SEND_FAILED' }),
    ]);
    expect(failed).toMatchObject({ action: 'mail', outcome: 'failed', errorCode: 'MAIL_SEND_FAILED' });
  });
});
