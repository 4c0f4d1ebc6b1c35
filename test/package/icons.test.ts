import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACCENT_COLOR, drawOutlineIcon } from '../../src/package/icons.js';
import { renderIcons } from '../../src/package/make-icons.js';
import { decodePng } from '../../src/package/png.js';
import { REPO_APP_PACKAGE } from './helpers.js';

describe('app icons', () => {
  it('the checked-in PNGs are what make-icons writes (run `npm run icons` after changing the drawing)', () => {
    const { color, outline } = renderIcons();
    expect(readFileSync(join(REPO_APP_PACKAGE, 'color.png')).equals(color)).toBe(true);
    expect(readFileSync(join(REPO_APP_PACKAGE, 'outline.png')).equals(outline)).toBe(true);
  });

  it('the outline icon is only white pixels with alpha, transparent elsewhere, with a visible symbol', () => {
    const { rgba } = drawOutlineIcon();
    let visible = 0;
    for (let i = 0; i < rgba.length; i += 4) {
      if (rgba[i + 3] === 0) {
        expect([rgba[i], rgba[i + 1], rgba[i + 2]]).toEqual([0, 0, 0]);
      } else {
        visible++;
        expect([rgba[i], rgba[i + 1], rgba[i + 2]]).toEqual([255, 255, 255]);
      }
    }
    // A key, not a speck and not a filled square: roughly 15–50 % of the pixels.
    expect(visible / (32 * 32)).toBeGreaterThan(0.15);
    expect(visible / (32 * 32)).toBeLessThan(0.5);
  });

  it('the colour icon is opaque, the accent colour at the corners and white in the key', () => {
    const image = decodePng(readFileSync(join(REPO_APP_PACKAGE, 'color.png')));
    expect([image.width, image.height]).toEqual([192, 192]);
    const hex = (x: number, y: number) => {
      const o = (y * 192 + x) * 4;
      return `#${[0, 1, 2].map((c) => image.rgba[o + c]!.toString(16).padStart(2, '0')).join('')}`.toUpperCase();
    };
    for (let i = 3; i < image.rgba.length; i += 4) expect(image.rgba[i]).toBe(255);
    expect(hex(0, 0)).toBe(ACCENT_COLOR);
    expect(hex(191, 191)).toBe(ACCENT_COLOR);
    expect(hex(96, 96)).toBe('#FFFFFF'); // on the shaft, at the centre
  });

  it('the manifest accent colour matches the icon background', () => {
    const manifest = JSON.parse(readFileSync(join(REPO_APP_PACKAGE, 'manifest.json'), 'utf8')) as { accentColor: string };
    expect(manifest.accentColor).toBe(ACCENT_COLOR);
  });
});
