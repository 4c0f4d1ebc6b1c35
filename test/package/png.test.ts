import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, decodePng, encodePng, PngError, readPngHeader } from '../../src/package/png.js';

function randomImage(width: number, height: number, seed: number) {
  const rgba = new Uint8Array(width * height * 4);
  let s = seed;
  for (let i = 0; i < rgba.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    // Mix smooth gradients and noise so every filter type gets chosen somewhere.
    rgba[i] = i % 7 === 0 ? s >>> 24 : (i >> 2) % 256;
  }
  return { width, height, rgba };
}

/** A hand-made PNG of another colour type, to check the decoder beyond what encodePng writes. */
function pngOf(width: number, height: number, colorType: number, bitDepth: number, rows: number[][], extra: Array<[string, number[]]> = []) {
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    out.set(data, 8);
    out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  const raw = Uint8Array.from(rows.flatMap((row) => [0, ...row]));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...extra.map(([type, data]) => chunk(type, Uint8Array.from(data))),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

describe('png', () => {
  it('round-trips RGBA pixels exactly', () => {
    for (const [w, h] of [[1, 1], [3, 5], [32, 32], [61, 17]] as const) {
      const image = randomImage(w, h, w * 31 + h);
      const png = encodePng(image);
      expect(readPngHeader(png)).toEqual({ width: w, height: h, bitDepth: 8, colorType: 6, interlaced: false });
      const back = decodePng(png);
      expect(back.width).toBe(w);
      expect(Buffer.from(back.rgba).equals(Buffer.from(image.rgba))).toBe(true);
    }
  });

  it('is deterministic', () => {
    const image = randomImage(20, 20, 7);
    expect(encodePng(image).equals(encodePng(image))).toBe(true);
  });

  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('refuses a wrong signature, a bad CRC and a truncated file', () => {
    const png = encodePng(randomImage(4, 4, 1));
    expect(() => readPngHeader(Buffer.from('not a png at all'))).toThrow(/wrong signature/);
    const corrupt = Buffer.from(png);
    corrupt[20] = corrupt[20]! ^ 0xff; // inside IHDR
    expect(() => readPngHeader(corrupt)).toThrow(/IHDR has a bad CRC/);
    expect(() => decodePng(png.subarray(0, png.length - 20))).toThrow(PngError);
  });

  it('rejects pixel data of the wrong length', () => {
    expect(() => encodePng({ width: 2, height: 2, rgba: new Uint8Array(15) })).toThrow(PngError);
  });

  it('decodes grey + alpha, palette with tRNS, and 1-bit grey images', () => {
    const ga = decodePng(pngOf(2, 1, 4, 8, [[255, 128, 10, 0]]));
    expect([...ga.rgba]).toEqual([255, 255, 255, 128, 10, 10, 10, 0]);

    const pal = decodePng(pngOf(2, 1, 3, 8, [[0, 1]], [['PLTE', [255, 255, 255, 1, 2, 3]], ['tRNS', [200]]]));
    expect([...pal.rgba]).toEqual([255, 255, 255, 200, 1, 2, 3, 255]);

    const bits = decodePng(pngOf(3, 1, 0, 1, [[0b10100000]]));
    expect([...bits.rgba]).toEqual([255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255]);
  });

  it('names formats it cannot read', () => {
    expect(() => decodePng(pngOf(1, 1, 6, 16, [[0, 0, 0, 0, 0, 0, 0, 0]]))).toThrow(/bit depth 16 is not supported/);
  });
});
