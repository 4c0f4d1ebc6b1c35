/**
 * The embedded store's link tokens and portal attempts: small lowdb files in DATA_DIR. Links are
 * keyed by the hex SHA-256 of the token (the token itself is never written); a link goes from the
 * file when it expires, when a newer one of its account is issued, or when it is revoked. Every
 * change is one serialized read-modify-write of the file, so of two uses at once one wins.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { createLowdbSignInLimiter } from '../../auth/sign-in-limiter.js';
import { AppError } from '../../errors/catalog.js';
import { jsonFile, keepValid, type JsonFileChange } from '../../storage/json-file.js';
import { LINK_TOKEN, linkGrantSchema, linkTokenHash, PORTAL_LIMITS, type IssuedLink, type LinkTokenStore, type LinkUse, type PortalAttempts } from '../portal.js';

type Clock = () => Date;

const storedLinkSchema = linkGrantSchema
  .extend({ hash: z.string().regex(/^[0-9a-f]{64}$/), issuedAt: z.string().datetime(), expiresAt: z.string().datetime(), usedAt: z.string().datetime().nullable() })
  .strict();
type StoredLink = z.infer<typeof storedLinkSchema>;

const hexHash = (token: string): string => linkTokenHash(token).toString('hex');

function issued(link: StoredLink): IssuedLink {
  const { hash: _hash, usedAt: _usedAt, ...rest } = link;
  return rest;
}

export function createLowdbLinkTokenStore(dataDir: string, clock: Clock = () => new Date()): LinkTokenStore {
  const db = jsonFile<{ links: StoredLink[] }>({
    file: join(dataDir, 'link-tokens.json'),
    onInvalid: 'empty',
    empty: () => ({ links: [] }),
    validate: (data) => ({ links: keepValid(z.object({ links: z.array(z.unknown()) }).parse(data).links, storedLinkSchema) }),
  });
  const live = (links: StoredLink[], nowMs: number) => links.filter((l) => Date.parse(l.expiresAt) > nowMs);

  return {
    async issue(grant, ttlMinutes) {
      const parsed = linkGrantSchema.safeParse(grant);
      if (!parsed.success || !Number.isFinite(ttlMinutes) || ttlMinutes <= 0) throw new AppError('INPUT_INVALID', { detail: 'link grant' });
      const token = randomBytes(32).toString('base64url');
      const now = clock();
      const link: StoredLink = {
        ...parsed.data,
        hash: hexHash(token),
        issuedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + ttlMinutes * 60_000).toISOString(),
        usedAt: null,
      };
      await db.update(({ links }) => ({
        result: undefined,
        next: { links: [...live(links, now.getTime()).filter((l) => l.accountGuid !== link.accountGuid), link] },
      }));
      return token;
    },

    async peek(token) {
      if (typeof token !== 'string' || !LINK_TOKEN.test(token)) return null;
      const hash = hexHash(token);
      const { links } = await db.read();
      const link = links.find((l) => l.hash === hash);
      return link && link.usedAt === null && Date.parse(link.expiresAt) > clock().getTime() ? issued(link) : null;
    },

    async consume(token) {
      if (typeof token !== 'string' || !LINK_TOKEN.test(token)) return { status: 'unknown' };
      const hash = hexHash(token);
      return db.update(({ links }): JsonFileChange<{ links: StoredLink[] }, LinkUse> => {
        const now = clock();
        const link = links.find((l) => l.hash === hash);
        if (!link) return { result: { status: 'unknown' } };
        if (link.usedAt !== null) return { result: { status: 'used' } };
        if (Date.parse(link.expiresAt) <= now.getTime()) return { result: { status: 'expired' } };
        const used = { ...link, usedAt: now.toISOString() };
        return { result: { status: 'ok', link: issued(used) }, next: { links: links.map((l) => (l === link ? used : l)) } };
      });
    },

    async release(token) {
      if (typeof token !== 'string' || !LINK_TOKEN.test(token)) return;
      const hash = hexHash(token);
      await db.update(({ links }) => {
        const link = links.find((l) => l.hash === hash && l.usedAt !== null && Date.parse(l.expiresAt) > clock().getTime());
        if (!link) return { result: undefined };
        return { result: undefined, next: { links: links.map((l) => (l === link ? { ...l, usedAt: null } : l)) } };
      });
    },

    async revoke(accountGuid) {
      return db.update(({ links }) => {
        const kept = links.filter((l) => l.accountGuid !== accountGuid);
        return kept.length === links.length ? { result: 0 } : { result: links.length - kept.length, next: { links: kept } };
      });
    },
  };
}

export function createLowdbPortalAttempts(dataDir: string, clock?: Clock): PortalAttempts {
  const common = { windowMinutes: PORTAL_LIMITS.windowMinutes, ...(clock ? { clock } : {}) };
  return {
    byName: createLowdbSignInLimiter({ file: join(dataDir, 'portal-attempts-name.json'), maxFailures: PORTAL_LIMITS.perName, ...common }),
    byAddress: createLowdbSignInLimiter({ file: join(dataDir, 'portal-attempts-address.json'), maxFailures: PORTAL_LIMITS.perAddress, ...common }),
  };
}
