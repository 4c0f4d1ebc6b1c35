/**
 * Small private JSON files of the embedded state store, written rarely (sessions, sign-in
 * attempts). lowdb does the reading and writing through `PrivateJsonFile` (owner-only, atomic);
 * `serialized` queues the read-modify-write cycles of one file (and the audit's appends), because
 * lowdb has no locking and concurrent cycles would overwrite each other's changes.
 */
import type { BigIntStats } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { deepFreeze } from '../util/deep-freeze.js';

/** The entries of a stored list that `schema` accepts; the others are dropped (read as absent). */
export function keepValid<T>(entries: readonly unknown[], schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } }): T[] {
  const kept: T[] = [];
  for (const entry of entries) {
    const parsed = schema.safeParse(entry);
    if (parsed.success) kept.push(parsed.data);
  }
  return kept;
}

/** The file is not JSON, or not what `validate` accepts. Names the file, never its content. */
export class InvalidJsonFileError extends Error {
  readonly file: string;

  constructor(file: string, cause?: unknown) {
    super(`${file} is not a valid data file`, { cause: cause instanceof SyntaxError ? undefined : cause });
    this.name = 'InvalidJsonFileError';
    this.file = file;
  }
}

/**
 * lowdb adapter: pretty JSON, mode 0600, atomic (temp file, fsync, rename). `validate` checks
 * what was read and throws if it is not a `T`; a missing file reads as null.
 */
export class PrivateJsonFile<T> implements Adapter<T> {
  readonly #file: string;
  readonly #validate: (data: unknown) => T;

  constructor(file: string, validate: (data: unknown) => T) {
    this.#file = file;
    this.#validate = validate;
  }

  /** Throws InvalidJsonFileError for a file that is not JSON or does not validate. */
  async read(): Promise<T | null> {
    let json: string;
    try {
      json = await readFile(this.#file, 'utf8');
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    try {
      return this.#validate(JSON.parse(json));
    } catch (cause) {
      throw new InvalidJsonFileError(this.#file, cause);
    }
  }

  async write(data: T): Promise<void> {
    const temp = path.join(path.dirname(this.#file), `.${path.basename(this.#file)}.tmp`);
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.chmod(0o600); // a stale temp file keeps its old mode otherwise
      await handle.writeFile(`${JSON.stringify(data, null, 2)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.#file);
  }
}

/** Tail of the queue of each file (keyed by absolute path, so two instances on one file share it). */
const queues = new Map<string, Promise<void>>();

/** Runs `task` after every task queued before it for the same file has settled. */
export function serialized<R>(file: string, task: () => Promise<R>): Promise<R> {
  const key = path.resolve(file);
  const run = (queues.get(key) ?? Promise.resolve()).then(task);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return run;
}

export interface JsonFileOptions<T> {
  file: string;
  /** Checks what was read; throws if it is not a `T`. May also drop parts it rejects. */
  validate: (data: unknown) => T;
  /** The content of a missing file. */
  empty: () => T;
  /**
   * A file that is not JSON or fails `validate`: 'throw' (InvalidJsonFileError; the file is left
   * alone) or 'empty' (read as `empty()`, and replaced at the next write).
   */
  onInvalid?: 'throw' | 'empty';
}

/** What an `update` step decides: its result, and whether to write (`next`) or delete the file. */
export interface JsonFileChange<T, R> {
  result: R;
  /** Omitted: the file stays as it is. */
  next?: T | 'delete';
}

export interface JsonFile<T> {
  /** The current content, after every update queued before it. */
  read(): Promise<T>;
  /** One serialized read-modify-write; the change is on disk before the promise resolves. */
  update<R>(change: (data: T) => JsonFileChange<T, R>): Promise<R>;
}

/** Which version of a file this is: its inode (a write replaces it), size and modification time. */
function versionOf(stats: BigIntStats): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeNs}`;
}

/** The file's version, or undefined when there is no file. */
async function currentVersion(file: string): Promise<string | undefined> {
  try {
    return versionOf(await stat(file, { bigint: true }));
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * A JSON file read through lowdb. What was last read or written is kept (frozen: no caller can
 * change it behind the file's back) and used again while the file's version is unchanged, so a turn
 * that only reads a session costs a stat, not a read, parse and validation of every session. A file
 * changed by anyone else gets a new version and is read again.
 */
export function jsonFile<T>(options: JsonFileOptions<T>): JsonFile<T> {
  const { file, validate, empty, onInvalid = 'throw' } = options;
  let known: { version: string; data: T } | undefined;

  const load = async (): Promise<T> => {
    const version = await currentVersion(file);
    if (version === undefined) {
      known = undefined;
      return deepFreeze(empty());
    }
    if (known?.version === version) return known.data;
    const db = new Low<T>(new PrivateJsonFile(file, validate), empty());
    try {
      await db.read();
    } catch (e) {
      if (!(e instanceof InvalidJsonFileError && onInvalid === 'empty')) throw e;
      db.data = empty();
    }
    // Read after the stat: a file replaced in between is read again next time (its version differs).
    known = { version, data: deepFreeze(db.data) };
    return known.data;
  };

  return {
    read: () => serialized(file, load),

    update: (change) =>
      serialized(file, async () => {
        const { result, next } = change(await load());
        if (next === 'delete') {
          known = undefined;
          await rm(file, { force: true });
        } else if (next !== undefined) {
          known = undefined;
          await ensurePrivateDir(path.dirname(file));
          const db = new Low<T>(new PrivateJsonFile(file, validate), next);
          await db.write();
          const version = await currentVersion(file);
          if (version !== undefined) known = { version, data: deepFreeze(next) };
        }
        return result;
      }),
  };
}

/** Creates the directory (and missing parents) owner-only; an existing one keeps its mode. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

export function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}
