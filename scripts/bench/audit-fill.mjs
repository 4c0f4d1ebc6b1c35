/**
 * An embedded audit (DATA_DIR/audit/<month>.jsonl) filled as a busy bot leaves it: pairs of an
 * intent and its outcome in the current month, nothing left to reconcile.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function fillAudit(dir, entries, { environment, adminDn, adminUpn, ou, samPrefix = '' }) {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const now = new Date();
  const month = now.toISOString().slice(0, 7);
  const lines = [];
  let correlationId = randomUUID();
  for (let i = 0; i < entries; i++) {
    const n = Math.floor(i / 2) % 45;
    if (i % 2 === 0) correlationId = randomUUID();
    lines.push(
      JSON.stringify({
        id: randomUUID(),
        time: new Date(now.getTime() - (entries - i) * 1000).toISOString(),
        environment,
        admin: { dn: adminDn, upn: adminUpn, teamsId: null },
        target: { dn: `CN=Werknemer ${n},${ou}`, sam: `${samPrefix}emp${n}`, guid: randomUUID() },
        action: 'reset',
        outcome: i % 2 === 0 ? 'intent' : 'success',
        correlationId,
      }),
    );
  }
  await writeFile(path.join(dir, `${month}.jsonl`), `${lines.join('\n')}\n`, { mode: 0o600 });
}
