import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DocumentCipher } from './documents-crypto.js';
import { detectType, imageSize } from './documents-detect.js';
import { linesOf } from './documents-extract.js';
import { ENG_MODEL_DIR, OcrEngine } from './documents-ocr.js';
import { encodePng } from './documents-png.js';
import { cleanFilename, contentDisposition } from './documents-routes.js';

const SCAN_PNG = readFileSync(new URL('./test-fixtures/scanned-lab-report.png', import.meta.url));
const USER = '0190a0a0-0000-7000-8000-000000000001';
const DOC = '0190a0a0-0000-7000-8000-0000000000aa';

describe('document files', () => {
  it('tells the type from the bytes, and the pixel size from the header', () => {
    expect(detectType(Buffer.from('%PDF-1.4\n'))).toBe('application/pdf');
    expect(detectType(Buffer.from('\n\n%PDF-1.7'))).toBe('application/pdf');
    expect(detectType(SCAN_PNG)).toBe('image/png');
    expect(imageSize('image/png', SCAN_PNG)).toEqual({ width: 1100, height: 420 });
    expect(detectType(Buffer.from('GIF89a'))).toBeNull();
    expect(detectType(Buffer.from('Glucose 105 mg/dL'))).toBeNull();

    // JPEG: SOI, an APP0 segment, then SOF0 with height 300 and width 200.
    const jpeg = Buffer.from([
      0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x2c, 0x00, 0xc8,
      0x03,
    ]);
    expect(detectType(jpeg)).toBe('image/jpeg');
    expect(imageSize('image/jpeg', Buffer.concat([jpeg, Buffer.alloc(16)]))).toEqual({
      width: 200,
      height: 300,
    });

    // WebP (lossless VP8L): 14 bits each of width-1 and height-1.
    const webp = Buffer.alloc(30);
    webp.write('RIFF', 0, 'latin1');
    webp.write('WEBPVP8L', 8, 'latin1');
    webp.writeUInt32LE((640 - 1) | ((480 - 1) << 14), 21);
    expect(detectType(webp)).toBe('image/webp');
    expect(imageSize('image/webp', webp)).toEqual({ width: 640, height: 480 });

    // TIFF, big-endian, one IFD with ImageWidth and ImageLength.
    const tiff = Buffer.alloc(8 + 2 + 2 * 12 + 4);
    tiff.write('MM', 0, 'latin1');
    tiff.writeUInt16BE(42, 2);
    tiff.writeUInt32BE(8, 4);
    tiff.writeUInt16BE(2, 8);
    [
      [256, 2480],
      [257, 3508],
    ].forEach(([tag, value], i) => {
      tiff.writeUInt16BE(tag!, 10 + i * 12);
      tiff.writeUInt16BE(4, 12 + i * 12);
      tiff.writeUInt32BE(1, 14 + i * 12);
      tiff.writeUInt32BE(value!, 18 + i * 12);
    });
    expect(detectType(tiff)).toBe('image/tiff');
    expect(imageSize('image/tiff', tiff)).toEqual({ width: 2480, height: 3508 });

    expect(imageSize('image/png', SCAN_PNG.subarray(0, 12))).toBeNull();
  });

  it('seals documents with AES-256-GCM bound to their owner and id', () => {
    const cipher = new DocumentCipher('a-secret-key-for-tests-0123456789abcdef');
    const sealed = cipher.seal(SCAN_PNG, USER, DOC);
    expect(sealed.length).toBe(SCAN_PNG.length + 29);
    expect(sealed.includes(SCAN_PNG.subarray(0, 64))).toBe(false);
    expect(Buffer.compare(cipher.open(sealed, USER, DOC), SCAN_PNG)).toBe(0);
    expect(() => cipher.open(sealed, USER, USER)).toThrow(); // moved to another row
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => cipher.open(tampered, USER, DOC)).toThrow();
    expect(() =>
      new DocumentCipher('another-key-0123456789abcdef-0123456789').open(sealed, USER, DOC),
    ).toThrow();
  });

  it('never lets a file name break out of Content-Disposition', () => {
    expect(cleanFilename('C:\\Users\\me\\scan.pdf')).toBe('scan.pdf');
    expect(cleanFilename('../../etc/passwd')).toBe('passwd');
    expect(cleanFilename('..')).toBeNull();
    expect(cleanFilename('a\r\nSet-Cookie: x=1.pdf')).toBe('aSet-Cookie: x=1.pdf');
    expect(contentDisposition('say "hi"\\.pdf', DOC, 'application/pdf')).toBe(
      `attachment; filename="say _hi__.pdf"; filename*=UTF-8''say%20%22hi%22%5C.pdf`,
    );
    expect(contentDisposition(null, DOC, 'image/png')).toBe(
      `attachment; filename="document-${DOC}.png"; filename*=UTF-8''document-${DOC}.png`,
    );
    expect(contentDisposition('photo.jpeg', DOC, 'image/jpeg')).toContain('filename="photo.jpeg"');
    expect(contentDisposition('labs', DOC, 'application/pdf')).toContain('filename="labs.pdf"');
  });

  it('encodes raw pixels as a PNG that reads back', () => {
    const gray = new Uint8Array(40 * 10).fill(255);
    const png = encodePng(gray, 40, 10, 1);
    expect(detectType(png)).toBe('image/png');
    expect(imageSize('image/png', png)).toEqual({ width: 40, height: 10 });
    expect(() => encodePng(gray, 41, 10, 1)).toThrow(/fewer pixels/);
  });

  it('rebuilds table rows from positioned PDF text, keeping columns apart', () => {
    const item = (str: string, x: number, y: number, width = str.length * 5) => ({
      str,
      transform: [10, 0, 0, 10, x, y],
      width,
      height: 10,
    });
    expect(
      linesOf([
        item('105', 220, 700.5),
        item('Glucose', 50, 700),
        item('mg/dL', 300, 700),
        item(' ', 90, 700),
        item('Header', 50, 740),
        item('Result:', 50, 680, 35),
        item('ok', 87, 680),
      ]),
    ).toEqual(['Header', 'Glucose  105  mg/dL', 'Result: ok']);
  });

  it('runs OCR from the model shipped in the package, and stops the engine when idle', async () => {
    expect(existsSync(join(ENG_MODEL_DIR, 'eng.traineddata.gz'))).toBe(true);
    const ocr = new OcrEngine(50);
    const blank = encodePng(new Uint8Array(64 * 64).fill(255), 64, 64, 1);
    const result = await ocr.recognize(blank);
    expect(result.text.trim()).toBe('');
    expect(ocr.running).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(ocr.running).toBe(false);
    await expect(ocr.recognize(Buffer.from('not an image at all'))).rejects.toThrow();
    expect(ocr.started).toBe(2);
    await ocr.terminate();
  });
});
