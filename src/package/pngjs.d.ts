// The part of pngjs (which ships no types) that the packager and its tests use.
declare module 'pngjs' {
  export interface PngImage {
    readonly width: number;
    readonly height: number;
    /** True when the file has transparency: an alpha channel, or a tRNS chunk. */
    readonly alpha: boolean;
    /** 8-bit RGBA, row by row, whatever the file's colour type and bit depth. */
    readonly data: Buffer;
  }
  export class PNG {
    constructor(options: { width: number; height: number });
    readonly width: number;
    readonly height: number;
    data: Buffer;
    static readonly sync: {
      /** Throws on anything that is not a valid PNG. */
      read(buffer: Buffer): PngImage;
      /** `colorType` 6 (RGBA, the default) or 2 (RGB, no alpha), among others. */
      write(png: PNG, options?: { colorType?: 0 | 2 | 4 | 6 }): Buffer;
    };
  }
}
