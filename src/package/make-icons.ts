/**
 * Writes appPackage/color.png and appPackage/outline.png from the drawings in icons.ts.
 * Run once after changing the drawing (`npm run icons`), then check the PNGs in; the output is
 * deterministic, and a test fails when the checked-in files differ from what this writes.
 *
 *   node dist/src/package/make-icons.js [appPackageDir]     (default: ./appPackage)
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { drawColorIcon, drawOutlineIcon } from './icons.js';
import { encodePng } from './png.js';

export function renderIcons(): { readonly color: Buffer; readonly outline: Buffer } {
  return { color: encodePng(drawColorIcon()), outline: encodePng(drawOutlineIcon()) };
}

export function writeIcons(dir: string): string[] {
  const { color, outline } = renderIcons();
  const written = [resolve(dir, 'color.png'), resolve(dir, 'outline.png')] as const;
  writeFileSync(written[0], color);
  writeFileSync(written[1], outline);
  return [...written];
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  for (const file of writeIcons(process.argv[2] ?? 'appPackage')) console.log(`wrote ${file}`);
}
