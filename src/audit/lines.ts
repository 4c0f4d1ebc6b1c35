/**
 * Line-oriented file I/O for the audit log's JSON Lines month files: one append per line, reading
 * newest first in chunks from the end, reading forward for the rare whole-file passes (purge,
 * migration), and writing a replacement file through a temp file and a rename.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { isNotFound } from '../storage/json-file.js';

const NEWLINE = 0x0a;
const CHUNK = 64 * 1024;
const EMPTY = Buffer.alloc(0);

export interface AppendOptions {
  /** fdatasync before resolving (power-loss safe); without it the line is in the page cache. */
  sync: boolean;
}

/**
 * Appends `lines`, each with a newline, to `file` (created 0600) with one write on a handle opened
 * in append mode (and one fdatasync with `sync`, however many lines). If the file does not end
 * with a newline (a write cut short by a crash or a full disk), one is written first, in the same
 * write, so a new line never joins a torn one. The caller serializes appends to one file: two
 * writes in flight could otherwise interleave.
 */
export async function appendLines(file: string, lines: readonly string[], options: AppendOptions): Promise<void> {
  const handle = await open(file, 'a+', 0o600);
  let created = false;
  try {
    const { size } = await handle.stat();
    let prefix = '';
    if (size === 0) {
      created = true;
      await handle.chmod(0o600); // a restrictive umask may have left it read-only
    } else {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== NEWLINE) prefix = '\n';
    }
    await writeAll(handle, Buffer.from(`${prefix}${lines.map((line) => `${line}\n`).join('')}`, 'utf8'));
    if (options.sync) await handle.datasync();
  } finally {
    await handle.close();
  }
  // A new file's name must be on disk too for its first entry to survive a power loss.
  if (created && options.sync) await syncDir(path.dirname(file));
}

/**
 * The lines of `file` from last to first, read backwards in 64 KiB chunks and yielded one chunk's
 * worth at a time (a batch per chunk: an async step per line would cost more than the reading).
 * Only what the caller consumes is read. Lines appended after the call started are not seen. A
 * last line without its newline (torn) is yielded like any other; empty lines are not. A missing
 * file has no lines. Stopping early (break) closes the file.
 */
export async function* linesBackward(file: string, chunkSize = CHUNK): AsyncGenerator<string[]> {
  const handle = await openIfExists(file);
  if (!handle) return;
  try {
    const { size } = await handle.stat();
    const chunk = Buffer.allocUnsafe(chunkSize);
    let position = size;
    /** The bytes after the last newline seen so far, last piece first: the end of a line whose start is further back. */
    const carry: Buffer[] = [];
    const line = (head: Buffer): string => {
      if (carry.length === 0) return head.toString('utf8');
      carry.push(head);
      const text = Buffer.concat(carry.reverse()).toString('utf8');
      carry.length = 0;
      return text;
    };
    while (position > 0) {
      const length = Math.min(chunkSize, position);
      position -= length;
      await readExactly(handle, chunk, length, position);
      const batch: string[] = [];
      let end = length;
      for (let i = length > 0 ? chunk.lastIndexOf(NEWLINE, length - 1) : -1; i >= 0; i = i > 0 ? chunk.lastIndexOf(NEWLINE, i - 1) : -1) {
        const text = line(chunk.subarray(i + 1, end));
        end = i;
        if (text.length > 0) batch.push(text);
      }
      if (end > 0) carry.push(Buffer.from(chunk.subarray(0, end))); // a copy: `chunk` is reused
      if (batch.length > 0) yield batch;
    }
    const first = line(EMPTY);
    if (first.length > 0) yield [first];
  } finally {
    await handle.close();
  }
}

/** The lines of `file` from first to last, in batches; same rules as `linesBackward`. */
export async function* linesForward(file: string, chunkSize = CHUNK): AsyncGenerator<string[]> {
  const handle = await openIfExists(file);
  if (!handle) return;
  try {
    const chunk = Buffer.allocUnsafe(chunkSize);
    /** The bytes after the last newline seen so far: the start of a line whose end is further on. */
    const carry: Buffer[] = [];
    const line = (tail: Buffer): string => {
      if (carry.length === 0) return tail.toString('utf8');
      carry.push(tail);
      const text = Buffer.concat(carry).toString('utf8');
      carry.length = 0;
      return text;
    };
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunkSize, null);
      if (bytesRead === 0) break;
      const view = chunk.subarray(0, bytesRead);
      const batch: string[] = [];
      let start = 0;
      for (let i = view.indexOf(NEWLINE); i >= 0; i = view.indexOf(NEWLINE, i + 1)) {
        const text = line(view.subarray(start, i));
        start = i + 1;
        if (text.length > 0) batch.push(text);
      }
      if (start < bytesRead) carry.push(Buffer.from(view.subarray(start))); // a copy: `chunk` is reused
      if (batch.length > 0) yield batch;
    }
    const last = line(EMPTY);
    if (last.length > 0) yield [last];
  } finally {
    await handle.close();
  }
}

/** Every line of `file` in order, one at a time (for the rare whole-file passes). */
export async function* eachLine(file: string): AsyncGenerator<string> {
  for await (const batch of linesForward(file)) yield* batch;
}

/**
 * Replaces `file` with the lines `write` produces: written to a temp file (0600) beside it,
 * fdatasync'd, then renamed over it, so a crash leaves the old file or the new one, never a mix.
 * `write` returns false to keep the old file (the temp file is removed).
 */
export async function replaceFile(file: string, write: (out: LineWriter) => Promise<boolean>): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.tmp`);
  const handle = await open(temp, 'w', 0o600);
  let keep: boolean;
  try {
    await handle.chmod(0o600); // a stale temp file keeps its old mode otherwise
    const out = new LineWriter(handle);
    keep = await write(out);
    if (keep) {
      await out.flush();
      await handle.datasync();
    }
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  if (!keep) {
    await rm(temp, { force: true });
    return;
  }
  await rename(temp, file);
  await syncDir(dir);
}

/** Buffers lines and writes them in batches of about 1 MiB. */
export class LineWriter {
  readonly #handle: FileHandle;
  #pending: string[] = [];
  #pendingLength = 0;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  async line(text: string): Promise<void> {
    this.#pending.push(text, '\n');
    this.#pendingLength += text.length + 1;
    if (this.#pendingLength >= 1024 * 1024) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const data = Buffer.from(this.#pending.join(''), 'utf8');
    this.#pending = [];
    this.#pendingLength = 0;
    await writeAll(this.#handle, data);
  }
}

/** Removes `file` and makes the removal durable; a missing file is fine. */
export async function removeFile(file: string): Promise<void> {
  await rm(file, { force: true });
  await syncDir(path.dirname(file));
}

/** fsync of a directory: makes a created, renamed or removed name in it durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function openIfExists(file: string): Promise<FileHandle | undefined> {
  try {
    return await open(file, 'r');
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** A write to a regular file is whole unless the disk fills up; loop anyway rather than drop bytes. */
async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    offset += bytesWritten;
  }
}

async function readExactly(handle: FileHandle, into: Buffer, length: number, position: number): Promise<void> {
  let offset = 0;
  while (offset < length) {
    const { bytesRead } = await handle.read(into, offset, length - offset, position + offset);
    if (bytesRead === 0) throw new Error('file shrank while it was read');
    offset += bytesRead;
  }
}
