/**
 * Single-use confirmations for one instance, with nothing written when they are issued: a token
 * is an id and an expiry signed with a key of this DATA_DIR (HMAC-SHA256 over the id, the expiry
 * and the binding), so a list card with 20 buttons costs no write. Only a use is recorded: one
 * appended line in `confirmations-used.jsonl`, read back at start-up, so a restart neither forgets
 * a use nor revives a token. Expired lines are dropped when the file is compacted at start-up.
 *
 * A token presented with another binding (another Teams user, admin, environment, employee or
 * purpose) fails its signature: 'mismatch', and nothing is consumed. Of concurrent uses of one
 * token in this process, exactly one gets 'ok': the check and the mark happen before any await.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFile, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { parseBindings, type ConsumeResult, type NonceBinding, type NonceStore } from '../../auth/nonce-store.js';
import { AppError } from '../../errors/catalog.js';

const ID_BYTES = 9;
const MAC_BYTES = 16;
/** id (9) + expiry in seconds (5, big-endian) + MAC (16) = 30 bytes: 40 base64url characters. */
const TOKEN = /^[A-Za-z0-9_-]{40}$/;
const usedLine = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{12}$/), exp: z.number().int() }).strict();


/** Writes an owner-only file and syncs it before it is used. */
async function writePrivate(file: string, data: string | Buffer, flag: 'w' | 'wx'): Promise<void> {
  const handle = await open(file, flag, 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The key of this DATA_DIR, made once (owner-only); every instance of the folder signs with it. */
async function loadKey(file: string): Promise<Buffer> {
  try {
    const key = await readFile(file);
    if (key.length !== 32) throw new AppError('INTERNAL', { detail: `${file} is not a 32-byte key` });
    return key;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  await writePrivate(file, key, 'wx');
  return key;
}

export async function createSignedConfirmations(options: { dataDir: string; ttlMinutes?: number; clock?: () => Date }): Promise<NonceStore> {
  const { dataDir, ttlMinutes = 10, clock = () => new Date() } = options;
  const key = await loadKey(join(dataDir, 'confirmation.key'));
  const usedFile = join(dataDir, 'confirmations-used.jsonl');
  const nowSeconds = () => Math.floor(clock().getTime() / 1000);

  // Uses recorded so far, still within their expiry; the file is compacted to those.
  const used = new Map<string, number>();
  const existing = await readFile(usedFile, 'utf8').catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'ENOENT') return '';
    throw error;
  });
  for (const line of existing.split('\n')) {
    if (!line) continue;
    try {
      const entry = usedLine.parse(JSON.parse(line));
      if (entry.exp > nowSeconds()) used.set(entry.id, entry.exp);
    } catch {
      // A torn last line (a crash mid-append) names no use that completed.
    }
  }
  const compacted = [...used].map(([id, exp]) => `${JSON.stringify({ id, exp })}\n`).join('');
  await writePrivate(`${usedFile}.tmp`, compacted, 'w');
  await rename(`${usedFile}.tmp`, usedFile);

  const mac = (id: Buffer, exp: Buffer, binding: NonceBinding): Buffer =>
    createHmac('sha256', key)
      .update(id)
      .update(exp)
      .update(JSON.stringify([binding.teamsTenantId, binding.aadObjectId, binding.adminDn, binding.tenantKey, binding.targetGuid, binding.purpose]))
      .digest()
      .subarray(0, MAC_BYTES);

  return {
    async issue(bindings) {
      if (bindings.length === 0) return [];
      const checked = parseBindings(bindings);
      const exp = Buffer.alloc(5);
      exp.writeUIntBE(nowSeconds() + ttlMinutes * 60, 0, 5);
      // One draw from the CSPRNG for every id of the card (a list card signs dozens of buttons).
      const ids = randomBytes(ID_BYTES * checked.length);
      return checked.map((binding, i) => {
        const id = ids.subarray(i * ID_BYTES, (i + 1) * ID_BYTES);
        return Buffer.concat([id, exp, mac(id, exp, binding)]).toString('base64url');
      });
    },

    async consume(token, binding): Promise<ConsumeResult> {
      if (typeof token !== 'string' || !TOKEN.test(token)) return 'unknown';
      const bytes = Buffer.from(token, 'base64url');
      const id = bytes.subarray(0, ID_BYTES);
      const exp = bytes.subarray(ID_BYTES, ID_BYTES + 5);
      const presented = bytes.subarray(ID_BYTES + 5);
      if (!timingSafeEqual(presented, mac(id, exp, binding))) return 'mismatch';
      const idText = id.toString('base64url');
      if (used.has(idText)) return 'used';
      const expSeconds = exp.readUIntBE(0, 5);
      if (expSeconds <= nowSeconds()) return 'expired';
      // Marked before the first await: a concurrent use of the same token answers 'used'.
      used.set(idText, expSeconds);
      if (used.size % 1000 === 0) for (const [k, e] of used) if (e <= nowSeconds()) used.delete(k);
      try {
        await appendFile(usedFile, `${JSON.stringify({ id: idText, exp: expSeconds })}\n`, { mode: 0o600 });
      } catch (cause) {
        used.delete(idText);
        throw new AppError('INTERNAL', { cause });
      }
      return 'ok';
    },
  };
}
