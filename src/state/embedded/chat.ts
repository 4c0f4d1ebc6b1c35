/**
 * The embedded store's conversation references, pending commands and pending resets: three small
 * lowdb files in DATA_DIR. Each holds only what is still pending (an entry goes when it is taken,
 * settled or expired), and a reference is written only when it changed, so none grows without
 * bound and none is rewritten on every turn.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../errors/catalog.js';
import { jsonFile, keepValid } from '../../storage/json-file.js';
import {
  conversationReferenceSchema,
  PENDING_COMMAND_MINUTES,
  pendingCommandSchema,
  pendingResetSchema,
  teamsUserSchema,
  type ConversationStore,
  type PendingCommandStore,
  type PendingReset,
  type PendingResetStore,
  type TeamsUser,
} from '../chat.js';

type Clock = () => Date;

const userKey = (user: TeamsUser): string => `${user.teamsTenantId}/${user.aadObjectId}`;

/** A file of entries keyed by `key`; entries that do not validate are dropped when read. */
function entriesFile<E>(file: string, schema: z.ZodType<E>) {
  const fileSchema = z.object({ entries: z.record(z.unknown()) });
  return jsonFile<{ entries: Record<string, E> }>({
    file,
    onInvalid: 'empty',
    empty: () => ({ entries: {} }),
    validate: (data) => {
      const { entries } = fileSchema.parse(data);
      const kept: Record<string, E> = Object.create(null) as Record<string, E>; // no key reaches a prototype
      for (const [key, value] of Object.entries(entries)) {
        const [valid] = keepValid([value], schema);
        if (valid !== undefined) kept[key] = valid;
      }
      return { entries: kept };
    },
  });
}

export function createLowdbConversationStore(dataDir: string): ConversationStore {
  const db = entriesFile(join(dataDir, 'conversations.json'), conversationReferenceSchema);
  return {
    async save(user, reference) {
      const who = teamsUserSchema.safeParse(user);
      const parsed = conversationReferenceSchema.safeParse(reference);
      if (!who.success || !parsed.success) throw new AppError('INPUT_INVALID', { detail: 'conversation reference' });
      const key = userKey(who.data);
      await db.update(({ entries }) => {
        if (JSON.stringify(entries[key]) === JSON.stringify(parsed.data)) return { result: undefined };
        return { result: undefined, next: { entries: { ...entries, [key]: parsed.data } } };
      });
    },
    async get(user) {
      const { entries } = await db.read();
      return entries[userKey(user)] ?? null;
    },
  };
}

const storedCommandSchema = z.object({ text: pendingCommandSchema, expiresAt: z.string().datetime() }).strict();

export function createLowdbPendingCommandStore(dataDir: string, clock: Clock = () => new Date()): PendingCommandStore {
  const db = entriesFile(join(dataDir, 'pending-commands.json'), storedCommandSchema);
  const live = (entries: Record<string, z.infer<typeof storedCommandSchema>>, nowMs: number) =>
    Object.fromEntries(Object.entries(entries).filter(([, e]) => Date.parse(e.expiresAt) > nowMs));
  return {
    async put(user, text) {
      const who = teamsUserSchema.safeParse(user);
      const parsed = pendingCommandSchema.safeParse(text);
      if (!who.success || !parsed.success) throw new AppError('INPUT_INVALID', { detail: 'pending command' });
      const now = clock().getTime();
      const entry = { text: parsed.data, expiresAt: new Date(now + PENDING_COMMAND_MINUTES * 60_000).toISOString() };
      await db.update(({ entries }) => ({ result: undefined, next: { entries: { ...live(entries, now), [userKey(who.data)]: entry } } }));
    },
    async take(user) {
      const key = userKey(user);
      const now = clock().getTime();
      return db.update(({ entries }) => {
        if (entries[key] === undefined) return { result: null };
        const kept = live(entries, now);
        const text = kept[key]?.text ?? null;
        delete kept[key];
        return { result: text, next: { entries: kept } };
      });
    },
  };
}

export function createLowdbPendingResetStore(dataDir: string): PendingResetStore {
  const db = entriesFile(join(dataDir, 'pending-resets.json'), pendingResetSchema);
  return {
    async put(reset) {
      const parsed = pendingResetSchema.safeParse(reset);
      if (!parsed.success) throw new AppError('INPUT_INVALID', { detail: 'pending reset' });
      await db.update(({ entries }) => ({ result: undefined, next: { entries: { ...entries, [parsed.data.accountGuid]: parsed.data } } }));
    },
    async get(accountGuid) {
      const { entries } = await db.read();
      return entries[accountGuid] ?? null;
    },
    async list(limit = 1000) {
      const { entries } = await db.read();
      return oldestFirst(Object.values(entries)).slice(0, limit);
    },
    async settle(accountGuid, resetAt) {
      return db.update(({ entries }) => {
        const current = entries[accountGuid];
        if (current === undefined || Date.parse(current.resetAt) !== Date.parse(resetAt)) return { result: false };
        const kept = { ...entries };
        delete kept[accountGuid];
        return { result: true, next: { entries: kept } };
      });
    },
  };
}

function oldestFirst(resets: PendingReset[]): PendingReset[] {
  return [...resets].sort((a, b) => Date.parse(a.resetAt) - Date.parse(b.resetAt) || a.accountGuid.localeCompare(b.accountGuid));
}
