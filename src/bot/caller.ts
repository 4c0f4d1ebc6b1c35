/**
 * Who is calling, read from the Teams activity and validated: the Teams tenant, the Teams user,
 * the kind of conversation, and the language and time zone to answer in.
 */
import { z } from 'zod';
import type { Language } from '../i18n/translations.js';

export interface Caller {
  readonly teamsTenantId: string;
  readonly aadObjectId: string;
  readonly personal: boolean;
  readonly language: Language;
  readonly timeZone: string;
}

const id = z.string().min(1).max(128);

const activitySchema = z.object({
  from: z.object({ aadObjectId: id.optional() }).passthrough().optional(),
  conversation: z.object({ conversationType: z.string().max(32).optional(), tenantId: id.optional() }).passthrough().optional(),
  channelData: z.object({ tenant: z.object({ id: id.optional() }).passthrough().optional() }).passthrough().optional(),
  locale: z.string().max(35).optional(),
  localTimezone: z.string().max(64).optional(),
  entities: z.array(z.object({ type: z.string().optional(), timezone: z.string().max(64).optional(), locale: z.string().max(35).optional() }).passthrough()).optional(),
});

function validTimeZone(zone: string | undefined): string | undefined {
  if (!zone) return undefined;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    return undefined;
  }
}

export function languageOf(locale: string | undefined): Language {
  return locale?.toLowerCase().startsWith('nl') ? 'nl' : 'en';
}

/** Null when the activity lacks a Teams tenant or user: such a request is refused. */
export function callerOf(activity: unknown): Caller | null {
  const parsed = activitySchema.safeParse(activity);
  if (!parsed.success) return null;
  const a = parsed.data;
  const teamsTenantId = a.conversation?.tenantId ?? a.channelData?.tenant?.id;
  const aadObjectId = a.from?.aadObjectId;
  if (!teamsTenantId || !aadObjectId) return null;
  const clientInfo = a.entities?.find((e) => e.type === 'clientInfo');
  return {
    teamsTenantId: teamsTenantId.toLowerCase(),
    aadObjectId: aadObjectId.toLowerCase(),
    personal: a.conversation?.conversationType === 'personal',
    language: languageOf(a.locale ?? clientInfo?.locale),
    timeZone: validTimeZone(a.localTimezone ?? clientInfo?.timezone) ?? 'Europe/Amsterdam',
  };
}
