/**
 * The app icons, drawn in code so they can be regenerated and checked: a key, white on the accent
 * colour (color.png, 192×192) and white on transparent (outline.png, 32×32). Shapes are described
 * in a unit square and rendered with supersampling for smooth edges.
 */
import type { RgbaImage } from './png.js';

/** The background of the colour icon; the manifest's accentColor is the same. */
export const ACCENT_COLOR = '#1F5FAD';

type Shape = (x: number, y: number) => boolean;

const circle = (cx: number, cy: number, r: number): Shape => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const rect = (x0: number, y0: number, x1: number, y1: number): Shape => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;

/**
 * A key along the x axis, centred on the origin, about 1 unit long: a round bow with a hole, a
 * shaft and two teeth. Then turned 45° so it runs from the bottom left to the top right.
 */
function keyShape(): Shape {
  const bowOuter = circle(-0.27, 0, 0.22);
  const bowHole = circle(-0.27, 0, 0.09);
  const shaft = rect(-0.1, -0.055, 0.5, 0.055);
  const tooth1 = rect(0.28, 0.0, 0.36, 0.19);
  const tooth2 = rect(0.42, 0.0, 0.5, 0.15);
  const local: Shape = (x, y) =>
    (bowOuter(x, y) && !bowHole(x, y)) || shaft(x, y) || tooth1(x, y) || tooth2(x, y);
  const c = Math.SQRT1_2;
  // Rotate the sample point by +45° (screen y points down), i.e. the key by -45°.
  return (x, y) => local(c * x - c * y, c * x + c * y);
}

/** Fraction of each pixel covered by the shape, sampled on an n × n grid; `scale` maps pixels to units. */
function coverage(size: number, shape: Shape, scale: number, samples: number): Float64Array {
  const out = new Float64Array(size * size);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let hits = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = ((px + (sx + 0.5) / samples) / size - 0.5) * scale;
          const y = ((py + (sy + 0.5) / samples) / size - 0.5) * scale;
          if (shape(x, y)) hits++;
        }
      }
      out[py * size + px] = hits / (samples * samples);
    }
  }
  return out;
}

function hexToRgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** 192×192: a white key on a full-bleed accent-colour square (Teams rounds the corners itself). */
export function drawColorIcon(size = 192): RgbaImage {
  const key = coverage(size, keyShape(), 1 / 0.62, 6);
  const [br, bg, bb] = hexToRgb(ACCENT_COLOR);
  const rgba = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    const k = key[i]!;
    rgba[i * 4] = Math.round(br + (255 - br) * k);
    rgba[i * 4 + 1] = Math.round(bg + (255 - bg) * k);
    rgba[i * 4 + 2] = Math.round(bb + (255 - bb) * k);
    rgba[i * 4 + 3] = 255;
  }
  return { width: size, height: size, rgba };
}

/** 32×32: the same key, white (#FFFFFF) only, with alpha; fully transparent elsewhere. */
export function drawOutlineIcon(size = 32): RgbaImage {
  const key = coverage(size, keyShape(), 1 / 0.9, 8);
  const rgba = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    const alpha = Math.round(key[i]! * 255);
    if (alpha === 0) continue; // transparent black, all zero
    rgba[i * 4] = 255;
    rgba[i * 4 + 1] = 255;
    rgba[i * 4 + 2] = 255;
    rgba[i * 4 + 3] = alpha;
  }
  return { width: size, height: size, rgba };
}
