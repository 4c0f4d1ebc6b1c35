import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidJsonFileError, jsonFile, PrivateJsonFile, serialized } from '../../src/storage/json-file.js';

interface Counter {
  n: number;
}

const validate = (data: unknown): Counter => {
  if (typeof data !== 'object' || data === null || typeof (data as { n?: unknown }).n !== 'number') throw new Error('bad');
  return data as Counter;
};

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'json-file-test-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('PrivateJsonFile', () => {
  it('reads a missing file as null and writes 0600 without leaving the temp file', async () => {
    const file = join(root, 'a.json');
    const adapter = new PrivateJsonFile(file, validate);
    expect(await adapter.read()).toBeNull();
    await writeFile(join(root, '.a.json.tmp'), 'stale', { mode: 0o644 });
    await adapter.write({ n: 1 });
    expect(await adapter.read()).toEqual({ n: 1 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(root)).toEqual(['a.json']);
  });

  it('throws InvalidJsonFileError naming the file but not its content', async () => {
    const file = join(root, 'a.json');
    await writeFile(file, '{ "secret-ish": ');
    const error: unknown = await new PrivateJsonFile(file, validate).read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidJsonFileError);
    expect(String((error as Error).message)).toContain('a.json');
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('secret-ish');
  });
});

describe('jsonFile', () => {
  it('serializes concurrent read-modify-write cycles', async () => {
    const db = jsonFile<Counter>({ file: join(root, 'sub', 'c.json'), validate, empty: () => ({ n: 0 }) });
    await Promise.all(Array.from({ length: 50 }, () => db.update(({ n }) => ({ result: n, next: { n: n + 1 } }))));
    expect(await db.read()).toEqual({ n: 50 });
    expect((await stat(join(root, 'sub'))).mode & 0o777).toBe(0o700);
  });

  it('shares the queue between two instances on one file', async () => {
    const file = join(root, 'c.json');
    const a = jsonFile<Counter>({ file, validate, empty: () => ({ n: 0 }) });
    const b = jsonFile<Counter>({ file, validate, empty: () => ({ n: 0 }) });
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).update(({ n }) => ({ result: n, next: { n: n + 1 } }))));
    expect(await a.read()).toEqual({ n: 20 });
  });

  it('leaves the file alone when nothing changes, and deletes it on request', async () => {
    const file = join(root, 'c.json');
    const db = jsonFile<Counter>({ file, validate, empty: () => ({ n: 0 }) });
    expect(await db.update(() => ({ result: 'x' }))).toBe('x');
    expect(await readdir(root)).toEqual([]);
    await db.update(() => ({ result: undefined, next: { n: 3 } }));
    await db.update(() => ({ result: undefined, next: 'delete' }));
    expect(await readdir(root)).toEqual([]);
  });

  it("onInvalid 'throw' keeps an unreadable file; 'empty' reads it as empty and replaces it on write", async () => {
    const file = join(root, 'c.json');
    await writeFile(file, '{ not json');
    const strict = jsonFile<Counter>({ file, validate, empty: () => ({ n: 0 }) });
    await expect(strict.update(() => ({ result: undefined, next: { n: 1 } }))).rejects.toBeInstanceOf(InvalidJsonFileError);
    expect(await readFile(file, 'utf8')).toBe('{ not json');

    const lenient = jsonFile<Counter>({ file, validate, empty: () => ({ n: 0 }), onInvalid: 'empty' });
    expect(await lenient.read()).toEqual({ n: 0 });
    await lenient.update(({ n }) => ({ result: undefined, next: { n: n + 1 } }));
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ n: 1 });
  });

  it('reads the file again only when it changed, and what it hands out cannot be changed', async () => {
    const file = join(root, 'c.json');
    let validations = 0;
    const counting = (data: unknown) => {
      validations++;
      return validate(data);
    };
    const a = jsonFile<Counter>({ file, validate: counting, empty: () => ({ n: 0 }) });
    const b = jsonFile<Counter>({ file, validate: counting, empty: () => ({ n: 0 }) });
    await a.update(() => ({ result: undefined, next: { n: 1 } }));
    const before = validations;
    expect(await a.read()).toEqual({ n: 1 });
    expect(await a.read()).toEqual({ n: 1 });
    expect(validations).toBe(before); // what it wrote, not read back

    // Another instance on the same file, and a change from outside the process, are seen at once.
    await b.update(({ n }) => ({ result: undefined, next: { n: n + 1 } }));
    expect(await a.read()).toEqual({ n: 2 });
    await writeFile(file, JSON.stringify({ n: 3000 }));
    expect(await a.read()).toEqual({ n: 3000 });
    await writeFile(file, '{ not json');
    await expect(a.read()).rejects.toBeInstanceOf(InvalidJsonFileError);
    await rm(file);
    expect(await a.read()).toEqual({ n: 0 });

    await a.update(() => ({ result: undefined, next: { n: 5 } }));
    const held = await a.read();
    expect(() => {
      (held as { n: number }).n = 6;
    }).toThrow(TypeError);
    expect(await b.read()).toEqual({ n: 5 });
  });

  it('a failed task does not stop the queue', async () => {
    const file = join(root, 'q.json');
    await expect(serialized(file, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await serialized(file, () => Promise.resolve(42))).toBe(42);
  });
});
