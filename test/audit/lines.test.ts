import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linesBackward, linesForward } from '../../src/audit/lines.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'lines-test-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function collect(batches: AsyncGenerator<string[]>): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of batches) out.push(...batch);
  return out;
}

describe('linesBackward and linesForward', () => {
  const samples: Record<string, { content: string; lines: string[] }> = {
    empty: { content: '', lines: [] },
    'one line': { content: 'a\n', lines: ['a'] },
    'torn last line': { content: 'ab\ncd', lines: ['ab', 'cd'] },
    'empty lines': { content: '\n\nab\n\n\ncd\n\n', lines: ['ab', 'cd'] },
    'multi-byte characters across chunk edges': {
      content: 'Jöran Müß\n€uro 𝄞 clef\n\u00e9\u00e9\u00e9\nlast',
      lines: ['Jöran Müß', '€uro 𝄞 clef', 'ééé', 'last'],
    },
  };

  for (const [name, { content, lines }] of Object.entries(samples)) {
    it(`reads ${name} with any chunk size`, async () => {
      const file = join(root, 'f');
      await writeFile(file, content);
      for (const chunk of [1, 2, 3, 5, 7, 64 * 1024]) {
        expect(await collect(linesForward(file, chunk))).toEqual(lines);
        expect(await collect(linesBackward(file, chunk))).toEqual([...lines].reverse());
      }
    });
  }

  it('reads a missing file as no lines', async () => {
    expect(await collect(linesBackward(join(root, 'missing')))).toEqual([]);
    expect(await collect(linesForward(join(root, 'missing')))).toEqual([]);
  });

  it('reads long lines spread over many chunks', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `${i}:${'x'.repeat(i * 37)}ü`);
    const file = join(root, 'f');
    await writeFile(file, `${lines.join('\n')}\n`);
    expect(await collect(linesBackward(file, 16))).toEqual([...lines].reverse());
    expect(await collect(linesForward(file, 16))).toEqual(lines);
  });
});
