/** The two committed icons, read with pngjs: what Teams requires of them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { REPO_APP_PACKAGE } from './helpers.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function icon(name: string) {
  const bytes = readFileSync(join(REPO_APP_PACKAGE, name));
  expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  return PNG.sync.read(bytes);
}

/** The RGBA of each pixel, as [r, g, b, a]. */
function pixels(data: Buffer): Array<[number, number, number, number]> {
  const out: Array<[number, number, number, number]> = [];
  for (let i = 0; i < data.length; i += 4) out.push([data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!]);
  return out;
}

describe('app icons (appPackage/)', () => {
  it('color.png is a 192×192 PNG, opaque, its background the manifest accentColor', () => {
    const image = icon('color.png');
    expect([image.width, image.height]).toEqual([192, 192]);
    const all = pixels(image.data);
    expect(all.every(([, , , a]) => a === 255)).toBe(true);
    const manifest = JSON.parse(readFileSync(join(REPO_APP_PACKAGE, 'manifest.json'), 'utf8')) as { accentColor: string };
    const hex = ([r, g, b]: readonly number[]) => `#${[r, g, b].map((c) => c!.toString(16).padStart(2, '0')).join('')}`.toUpperCase();
    expect(hex(all[0]!)).toBe(manifest.accentColor.toUpperCase());
    expect(hex(all[all.length - 1]!)).toBe(manifest.accentColor.toUpperCase());
  });

  it('outline.png is a 32×32 PNG with alpha, every pixel white or fully transparent, with a visible symbol', () => {
    const image = icon('outline.png');
    expect([image.width, image.height]).toEqual([32, 32]);
    expect(image.alpha).toBe(true);
    const all = pixels(image.data);
    const visible = all.filter(([, , , a]) => a > 0);
    expect(visible.filter(([r, g, b]) => r !== 255 || g !== 255 || b !== 255)).toEqual([]);
    // A symbol on a transparent background: neither empty nor a filled square.
    expect(visible.length / all.length).toBeGreaterThan(0.1);
    expect(visible.length / all.length).toBeLessThan(0.6);
  });
});
