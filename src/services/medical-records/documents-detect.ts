/**
 * What an uploaded file is, decided by its first bytes (its magic number), never by the name or the
 * content type the client sent. Images also tell their size, so that one too large to OCR within bounded
 * memory is refused at upload.
 */

export const DOCUMENT_TYPES = [
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/tiff',
  'image/webp',
] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export const EXTENSIONS: Record<DocumentType, string> = {
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/tiff': 'tif',
  'image/webp': 'webp',
};

const startsWith = (b: Buffer, bytes: number[], at = 0) => bytes.every((x, i) => b[at + i] === x);

export function detectType(b: Buffer): DocumentType | null {
  // PDF readers accept a header anywhere in the first 1024 bytes (ISO 32000-1, annex H.3).
  if (b.subarray(0, 1024).indexOf('%PDF-') >= 0) return 'application/pdf';
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'image/tiff';
  if (b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return null;
}

export interface Dimensions {
  width: number;
  height: number;
}

function pngSize(b: Buffer): Dimensions | null {
  if (b.length < 24 || b.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function jpegSize(b: Buffer): Dimensions | null {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    // Start-of-frame markers (SOF0-SOF15 but DHT, JPG, DAC) carry the size.
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    i += 2 + b.readUInt16BE(i + 2);
  }
  return null;
}

function webpSize(b: Buffer): Dimensions | null {
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8X' && b.length >= 30) {
    return { width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
  }
  if (chunk === 'VP8 ' && b.length >= 30) {
    return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L' && b.length >= 25) {
    const bits = b.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  return null;
}

function tiffSize(b: Buffer): Dimensions | null {
  const le = b[0] === 0x49;
  const u16 = (at: number) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  if (b.length < 8) return null;
  const ifd = u32(4);
  if (ifd + 2 > b.length) return null;
  let width: number | null = null;
  let height: number | null = null;
  const count = u16(ifd);
  for (let n = 0; n < count; n += 1) {
    const at = ifd + 2 + n * 12;
    if (at + 12 > b.length) break;
    const tag = u16(at);
    const type = u16(at + 2);
    const value = type === 3 ? u16(at + 8) : u32(at + 8);
    if (tag === 256) width = value;
    if (tag === 257) height = value;
  }
  return width && height ? { width, height } : null;
}

/** The pixel size of an image, from its header; null when the header cannot be read. */
export function imageSize(type: DocumentType, b: Buffer): Dimensions | null {
  try {
    switch (type) {
      case 'image/png':
        return pngSize(b);
      case 'image/jpeg':
        return jpegSize(b);
      case 'image/webp':
        return webpSize(b);
      case 'image/tiff':
        return tiffSize(b);
      default:
        return null;
    }
  } catch {
    return null; // a header cut short
  }
}
