/**
 * A small PNG codec on node:zlib alone: it writes 8-bit RGBA images (the app icons) and reads the
 * common non-interlaced formats back to RGBA, so the packager can check an icon's size and pixels.
 * Chunk CRCs are checked on read.
 */
import { deflateSync, inflateSync } from 'node:zlib';

export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  /** width × height × 4 bytes: R, G, B, A per pixel, rows top to bottom. */
  readonly rgba: Uint8Array;
}

export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  readonly colorType: number;
  readonly interlaced: boolean;
}

/** The bytes are not a PNG this module can read; the message says why. */
export class PngError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PngError';
  }
}

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/** Encodes an RGBA image as an 8-bit RGBA PNG. Deterministic: the same pixels give the same bytes. */
export function encodePng(image: RgbaImage): Buffer {
  const { width, height, rgba } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new PngError('width and height must be positive integers');
  }
  if (rgba.length !== width * height * 4) throw new PngError('pixel data does not match width × height × 4');

  const stride = width * 4;
  const raw = new Uint8Array((stride + 1) * height);
  const candidate = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    const prev = y > 0 ? row - stride : -1;
    // Per row, the filter whose output has the smallest sum of absolute values (the usual heuristic).
    let best = 0;
    let bestScore = Infinity;
    let bestBytes = new Uint8Array(0);
    for (let filter = 0; filter <= 4; filter++) {
      let score = 0;
      for (let x = 0; x < stride; x++) {
        const cur = rgba[row + x]!;
        const left = x >= 4 ? rgba[row + x - 4]! : 0;
        const up = prev >= 0 ? rgba[prev + x]! : 0;
        const upLeft = prev >= 0 && x >= 4 ? rgba[prev + x - 4]! : 0;
        let predicted = 0;
        if (filter === 1) predicted = left;
        else if (filter === 2) predicted = up;
        else if (filter === 3) predicted = (left + up) >> 1;
        else if (filter === 4) predicted = paeth(left, up, upLeft);
        const value = (cur - predicted) & 0xff;
        candidate[x] = value;
        score += value < 128 ? value : 256 - value;
      }
      if (score < bestScore) {
        bestScore = score;
        best = filter;
        bestBytes = candidate.slice();
      }
    }
    raw[y * (stride + 1)] = best;
    raw.set(bestBytes, y * (stride + 1) + 1);
  }

  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter method
  ihdr[12] = 0; // no interlace
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

interface Chunk {
  readonly type: string;
  readonly data: Buffer;
}

function readChunks(bytes: Uint8Array): Chunk[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < SIGNATURE.length || !buf.subarray(0, 8).equals(SIGNATURE)) {
    throw new PngError('not a PNG file (wrong signature)');
  }
  const chunks: Chunk[] = [];
  let at = 8;
  while (at < buf.length) {
    if (at + 12 > buf.length) throw new PngError('truncated PNG chunk');
    const length = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const end = at + 8 + length;
    if (end + 4 > buf.length) throw new PngError(`truncated PNG chunk ${type}`);
    if (buf.readUInt32BE(end) !== crc32(buf, at + 4, end)) throw new PngError(`PNG chunk ${type} has a bad CRC`);
    chunks.push({ type, data: buf.subarray(at + 8, end) });
    at = end + 4;
    if (type === 'IEND') break;
  }
  if (chunks[0]?.type !== 'IHDR') throw new PngError('PNG does not start with an IHDR chunk');
  if (chunks.at(-1)?.type !== 'IEND') throw new PngError('PNG has no IEND chunk');
  return chunks;
}

function parseHeader(data: Buffer): PngHeader {
  if (data.length !== 13) throw new PngError('PNG IHDR chunk has the wrong length');
  return {
    width: data.readUInt32BE(0),
    height: data.readUInt32BE(4),
    bitDepth: data[8]!,
    colorType: data[9]!,
    interlaced: data[12] !== 0,
  };
}

/** Reads the IHDR: width, height and format. Checks the signature and every chunk's CRC. */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  return parseHeader(readChunks(bytes)[0]!.data);
}

const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Decodes a PNG to 8-bit RGBA. Reads colour types 0, 2, 3, 4 and 6, non-interlaced, bit depth 8
 * (and 1, 2, 4 for grey and palette images), with tRNS transparency. Others throw a PngError
 * that names the format, so the caller can ask for an 8-bit export.
 */
export function decodePng(bytes: Uint8Array): RgbaImage & { readonly header: PngHeader } {
  const chunks = readChunks(bytes);
  const header = parseHeader(chunks[0]!.data);
  const { width, height, bitDepth, colorType, interlaced } = header;
  const channels = CHANNELS[colorType];
  if (channels === undefined) throw new PngError(`PNG colour type ${colorType} is not valid`);
  if (width < 1 || height < 1) throw new PngError('PNG has no pixels');
  if (interlaced) throw new PngError('interlaced PNGs are not supported: save it non-interlaced');
  const lowDepthOk = (colorType === 0 || colorType === 3) && [1, 2, 4].includes(bitDepth);
  if (bitDepth !== 8 && !lowDepthOk) {
    throw new PngError(`PNG bit depth ${bitDepth} is not supported: save it as 8-bit`);
  }

  let palette: Buffer | undefined;
  let transparency: Buffer | undefined;
  const idat: Buffer[] = [];
  for (const { type, data } of chunks) {
    if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') transparency = data;
    else if (type === 'IDAT') idat.push(data);
  }
  if (colorType === 3 && !palette) throw new PngError('palette PNG has no PLTE chunk');
  if (idat.length === 0) throw new PngError('PNG has no image data');

  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch {
    throw new PngError('PNG image data is corrupt');
  }
  const bitsPerPixel = bitDepth * channels;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  if (raw.length < (stride + 1) * height) throw new PngError('PNG image data is too short');

  // Undo the per-row filters.
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    for (let x = 0; x < stride; x++) {
      const left = x >= bpp ? pixels[row + x - bpp]! : 0;
      const up = y > 0 ? pixels[prev + x]! : 0;
      const upLeft = y > 0 && x >= bpp ? pixels[prev + x - bpp]! : 0;
      let predicted: number;
      switch (filter) {
        case 0: predicted = 0; break;
        case 1: predicted = left; break;
        case 2: predicted = up; break;
        case 3: predicted = (left + up) >> 1; break;
        case 4: predicted = paeth(left, up, upLeft); break;
        default: throw new PngError(`PNG row ${y} has an unknown filter ${filter}`);
      }
      pixels[row + x] = (raw[src + x]! + predicted) & 0xff;
    }
  }

  const sample = (row: number, index: number): number => {
    if (bitDepth === 8) return pixels[row + index]!;
    const bit = index * bitDepth;
    const byte = pixels[row + (bit >> 3)]!;
    return (byte >> (8 - bitDepth - (bit & 7))) & ((1 << bitDepth) - 1);
  };
  const scale = 255 / ((1 << bitDepth) - 1);
  const transparentGrey = colorType === 0 && transparency && transparency.length >= 2 ? transparency.readUInt16BE(0) : -1;
  const transparentRgb =
    colorType === 2 && transparency && transparency.length >= 6
      ? [transparency.readUInt16BE(0), transparency.readUInt16BE(2), transparency.readUInt16BE(4)]
      : undefined;

  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      let r: number, g: number, b: number, a = 255;
      if (colorType === 3) {
        const index = sample(row, x);
        if ((index + 1) * 3 > palette!.length) throw new PngError('PNG palette index out of range');
        r = palette![index * 3]!;
        g = palette![index * 3 + 1]!;
        b = palette![index * 3 + 2]!;
        a = transparency && index < transparency.length ? transparency[index]! : 255;
      } else if (colorType === 0) {
        const v = sample(row, x);
        r = g = b = Math.round(v * scale);
        if (v === transparentGrey) a = 0;
      } else if (colorType === 4) {
        r = g = b = sample(row, x * 2);
        a = sample(row, x * 2 + 1);
      } else if (colorType === 2) {
        r = sample(row, x * 3);
        g = sample(row, x * 3 + 1);
        b = sample(row, x * 3 + 2);
        if (transparentRgb && r === transparentRgb[0] && g === transparentRgb[1] && b === transparentRgb[2]) a = 0;
      } else {
        r = sample(row, x * 4);
        g = sample(row, x * 4 + 1);
        b = sample(row, x * 4 + 2);
        a = sample(row, x * 4 + 3);
      }
      rgba[o] = r;
      rgba[o + 1] = g;
      rgba[o + 2] = b;
      rgba[o + 3] = a;
    }
  }
  return { width, height, rgba, header };
}
