/**
 * The environments' people in memory, one list per environment (never per admin): loaded with one
 * paged read on first use, however many admins ask at once, and kept fresh by reading what changed
 * (uSNChanged) every few seconds. What a list shows may be that old; every action re-reads its
 * target from the directory by objectGUID.
 *
 * Deletions: a deleted account becomes invisible to a search (it lies in Deleted Objects, which only
 * administrators may read), so no read of changes reports it. Every list is therefore read whole
 * again at a longer interval; until then a deleted account may still be listed, and any action on
 * it is refused by the re-read. A move out of the environment is seen at once: changes are read
 * domain-wide, and someone changed outside the environment's base DN leaves its list.
 */
import type { Tenant } from '../config/config.js';
import { isDnWithin } from '../directory/dn.js';
import type { ChangeMark, Directory } from '../directory/directory.js';
import type { Logger } from '../log/logger.js';
import { PeopleList } from './people-list.js';

export interface PeopleIndexOptions {
  /** How often changes are read. */
  readonly pollMs: number;
  /** How often each list is read whole again (to drop deleted accounts). */
  readonly reloadMs: number;
  /** How long a list row's "in a protected group" mark is taken as known (default one minute). */
  readonly protectionMarksMs?: number;
  readonly log?: Logger | undefined;
}

interface Loaded {
  readonly tenant: Tenant;
  list: PeopleList;
  mark: ChangeMark;
  loadedAt: number;
}

/** True when the DN lies in the environment; a DN that cannot be parsed does not. */
function within(dn: string, baseDn: string): boolean {
  try {
    return isDnWithin(dn, baseDn);
  } catch {
    return false;
  }
}

/** Whether someone was found in a group the bot must not touch, and when that was read. */
interface ProtectionMark {
  readonly inGroup: boolean;
  readonly readAt: number;
}

export class PeopleIndex {
  private readonly loaded = new Map<string, Loaded>();
  /** Per environment, per objectGUID: the protected-group marks of list rows (src/bot/views.ts). */
  private readonly marks = new Map<string, Map<string, ProtectionMark>>();
  private readonly loading = new Map<string, Promise<PeopleList>>();
  private timer: NodeJS.Timeout | undefined;
  /** One round of reloads and reads of changes at a time, so that none applies an older state over a newer one. */
  private ticking = false;
  private closed = false;

  constructor(
    private readonly directory: Directory,
    private readonly options: PeopleIndexOptions,
  ) {}

  /** The environment's list; the first call loads it, and everyone asking meanwhile waits for that one load. */
  list(tenant: Tenant): Promise<PeopleList> {
    const ready = this.loaded.get(tenant.key);
    if (ready) return Promise.resolve(ready.list);
    let pending = this.loading.get(tenant.key);
    if (!pending) {
      // A failed load leaves nothing behind: the next call tries again. A first load need not wait
      // for a read of changes or a reload of other lists: those take in only lists loaded before
      // they started, and the next read of changes starts from this list's own mark.
      pending = this.load(tenant).finally(() => this.loading.delete(tenant.key));
      this.loading.set(tenant.key, pending);
    }
    return pending;
  }

  /**
   * Loads the environments one after another in the background (when an admin signs in), so that
   * their first `list` does not wait for the read; a failure is logged and the next ask tries again.
   */
  async preload(tenants: readonly Tenant[]): Promise<void> {
    for (const tenant of tenants) {
      if (this.closed) return;
      await this.list(tenant).catch((error: unknown) =>
        this.options.log?.warn({ code: 'PEOPLE_LIST_LOAD_FAILED', environment: tenant.key, cause: String(error) }, 'environment list not loaded; the first list tries again'),
      );
    }
  }

  /**
   * Which of these people are in a group the bot must not touch (admin, protected and privileged
   * groups, nested): the marks on a list's rows. Asked of the directory in one search for those
   * not read within `protectionMarksMs`, so paging back and forth or a list shown again after an
   * action asks nothing. Group membership is not among the changes read every few seconds (a
   * group's members change, not the member), hence the expiry. Only marks: whatever a card says,
   * every action checks its target's protection in the directory itself.
   */
  async inProtectedGroups(tenant: Tenant, guids: readonly string[]): Promise<ReadonlySet<string>> {
    const now = Date.now();
    const fresh = this.options.protectionMarksMs ?? 60_000;
    let known = this.marks.get(tenant.key);
    if (!known) this.marks.set(tenant.key, (known = new Map()));
    const stale = guids.filter((guid) => {
      const mark = known.get(guid);
      return !mark || now - mark.readAt >= fresh;
    });
    if (stale.length > 0) {
      const found = await this.directory.inProtectedGroups(tenant, stale);
      for (const guid of stale) known.set(guid, { inGroup: found.has(guid), readAt: now });
    }
    return new Set(guids.filter((guid) => known.get(guid)?.inGroup === true));
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async load(tenant: Tenant): Promise<PeopleList> {
    const { people, mark } = await this.directory.readPeople(tenant);
    const list = new PeopleList(people);
    this.loaded.set(tenant.key, { tenant, list, mark, loadedAt: Date.now() });
    this.options.log?.info({ code: 'PEOPLE_LIST_LOADED', environment: tenant.key, people: list.size }, 'environment list loaded');
    if (!this.timer && !this.closed) {
      this.timer = setInterval(() => void this.tick(), this.options.pollMs);
      this.timer.unref();
    }
    return list;
  }

  /** Reads one environment whole again; on failure the list it had stays (stale, but never half). */
  private async reload(entry: Loaded): Promise<void> {
    const { people, mark } = await this.directory.readPeople(entry.tenant);
    entry.list = new PeopleList(people);
    entry.mark = mark;
    entry.loadedAt = Date.now();
    // Marks of people who left stay no longer than the list that showed them.
    this.marks.delete(entry.tenant.key);
  }

  /** One round: lists due for a whole read get one, then the changes since the oldest mark are applied to all. */
  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = Date.now();
      for (const entry of [...this.loaded.values()]) {
        if (now - entry.loadedAt >= this.options.reloadMs) await this.reloadOrWarn(entry);
      }
      await this.readChanges();
    } catch (error) {
      this.options.log?.warn({ code: 'PEOPLE_LIST_REFRESH_FAILED', cause: String(error) }, 'environment lists not refreshed; trying again later');
    } finally {
      this.ticking = false;
    }
  }

  private async reloadOrWarn(entry: Loaded): Promise<void> {
    await this.reload(entry).catch((error: unknown) =>
      this.options.log?.warn({ code: 'PEOPLE_LIST_RELOAD_FAILED', environment: entry.tenant.key, cause: String(error) }, 'environment list not reloaded'),
    );
  }

  private async readChanges(): Promise<void> {
    const entries = [...this.loaded.values()];
    const first = entries[0];
    if (!first) return;
    // One read for every environment, from the oldest mark: reading a change twice does no harm.
    const sameServer = entries.every((e) => e.mark.server === first.mark.server);
    const since = entries.reduce((min, e) => (e.mark.usn < min.usn ? e.mark : min), first.mark);
    const changes = sameServer ? await this.directory.peopleChangedSince(since) : null;
    if (!changes) {
      // Another domain controller answered: its update numbers do not continue ours.
      for (const entry of entries) await this.reloadOrWarn(entry);
      return;
    }
    for (const entry of entries) {
      entry.list.apply(changes.people, (dn) => within(dn, entry.tenant.baseDn));
      entry.mark = changes.mark;
    }
  }
}
