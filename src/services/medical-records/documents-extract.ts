import { extractImages, getDocumentProxy } from 'unpdf';
import type { DocumentType } from './documents-detect.js';
import { OcrError, type OcrEngine } from './documents-ocr.js';
import { encodePng } from './documents-png.js';

/**
 * The text of a document: a PDF's text layer (PDF.js through unpdf), or OCR for images and for PDF pages
 * without a text layer (scans). A scanned page is read by OCR of the images embedded in it, decoded by
 * PDF.js: rendering a whole page to pixels would need a native canvas library, which this service does not
 * use. So a page drawn only as vector shapes (text converted to outlines) cannot be read, and says so.
 */

/** Pages with fewer letters and digits than this in their text layer are treated as scans. */
const MIN_TEXT_CHARS = 20;
/** OCR is slow (seconds a page): a long scan is read up to this many pages, and says where it stopped. */
export const MAX_OCR_PAGES = 30;
/** An embedded image larger than this is not decoded for OCR (memory: 4 bytes a pixel and more). */
export const MAX_OCR_PIXELS = 40_000_000;
/** Images smaller than this on either side are decorations (rules, logos, bullets), not text. */
const MIN_IMAGE_SIDE = 32;

export type ExtractionMethod = 'text_layer' | 'ocr' | 'text_layer_and_ocr';

export interface Extraction {
  text: string;
  method: ExtractionMethod;
  pages: number | null;
  /** What could not be read, and why (shown with the document). */
  notes: string[];
}

/** A problem with the file itself, said to the user as the reason extraction failed. */
export class ExtractionProblem extends Error {}

export const PDF_OPTIONS = {
  // Never evaluate font programs as code (PDF.js's own mitigation for CVE-2024-4367).
  isEvalSupported: false,
  disableFontFace: true,
  useSystemFonts: false,
  verbosity: 0,
} as const;

/** Opens a PDF (throws PDF.js's InvalidPDFException, PasswordException... when it cannot). */
export function openPdf(bytes: Buffer) {
  return getDocumentProxy(new Uint8Array(bytes), PDF_OPTIONS);
}

interface TextItem {
  str: string;
  transform: number[];
  width: number;
  height: number;
}

/** Lines of a page from its positioned text items: top to bottom, left to right, columns kept apart. */
export function linesOf(items: TextItem[]): string[] {
  const placed = items
    .filter((i) => i.str.trim() !== '')
    .map((i) => ({
      str: i.str,
      x: i.transform[4] ?? 0,
      y: i.transform[5] ?? 0,
      width: i.width,
      size: Math.max(1, Math.abs(i.transform[3] ?? 0) || i.height || 10),
    }))
    .sort((a, b) => b.y - a.y || a.x - b.x);
  const lines: (typeof placed)[] = [];
  for (const item of placed) {
    const line = lines[lines.length - 1];
    if (line && Math.abs(line[0]!.y - item.y) <= Math.max(2, 0.4 * item.size)) line.push(item);
    else lines.push([item]);
  }
  return lines.map((line) => {
    line.sort((a, b) => a.x - b.x);
    let out = '';
    let end: number | null = null;
    for (const item of line) {
      if (end !== null) {
        const gap = item.x - end;
        // A wide gap is a table column: two spaces keep columns apart for the reader.
        out += gap > 1.2 * item.size ? '  ' : gap > 0.15 * item.size ? ' ' : '';
      }
      out += item.str;
      end = item.x + item.width;
    }
    return out.replace(/[ \t]+$/, '');
  });
}

const letters = (text: string) => (text.match(/[\p{L}\p{N}]/gu) ?? []).length;

async function ocrText(ocr: OcrEngine, image: Buffer, what: string): Promise<string> {
  try {
    return (await ocr.recognize(image)).text;
  } catch (err) {
    if (err instanceof OcrError)
      throw new ExtractionProblem(`${what} could not be read by OCR: ${err.message}`);
    throw err;
  }
}

export async function extractPdf(
  bytes: Buffer,
  ocr: OcrEngine,
  onPage: () => Promise<void>,
): Promise<Extraction> {
  let pdf;
  try {
    pdf = await openPdf(bytes);
  } catch (err) {
    throw new ExtractionProblem(`The PDF cannot be opened: ${(err as Error).message}`);
  }
  try {
    const pageTexts: string[] = [];
    const notes: string[] = [];
    let fromText = 0;
    let fromOcr = 0;
    let ocrPages = 0;
    const unreadable: number[] = [];
    const skipped: number[] = [];
    for (let n = 1; n <= pdf.numPages; n += 1) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      const text = linesOf(content.items.flatMap((i) => ('str' in i ? [i as TextItem] : []))).join('\n');
      if (letters(text) >= MIN_TEXT_CHARS) {
        pageTexts.push(text);
        fromText += 1;
        page.cleanup();
        continue;
      }
      if (ocrPages >= MAX_OCR_PAGES) {
        skipped.push(n);
        pageTexts.push(text);
        page.cleanup();
        continue;
      }
      const images = (await extractImages(pdf, n)).filter(
        (img) => img.width >= MIN_IMAGE_SIDE && img.height >= MIN_IMAGE_SIDE,
      );
      page.cleanup();
      if (images.length === 0) {
        if (letters(text) === 0) unreadable.push(n);
        pageTexts.push(text);
        continue;
      }
      ocrPages += 1;
      const parts = text ? [text] : [];
      for (const img of images) {
        if (img.width * img.height > MAX_OCR_PIXELS) {
          notes.push(
            `An image on page ${n} (${img.width}x${img.height} pixels) is too large to read by OCR.`,
          );
          continue;
        }
        const png = encodePng(img.data, img.width, img.height, img.channels);
        parts.push((await ocrText(ocr, png, `An image on page ${n}`)).trim());
      }
      pageTexts.push(parts.join('\n'));
      fromOcr += 1;
      await onPage();
    }
    if (unreadable.length > 0) {
      notes.push(
        `${unreadable.length === pdf.numPages ? 'No page' : `Page${unreadable.length > 1 ? 's' : ''} ${unreadable.join(', ')}`} ` +
          'of this PDF has a text layer or an embedded image to read: the content is drawn as vector shapes, ' +
          'which would need the page rendered to pixels (not available in this service).',
      );
    }
    if (skipped.length > 0) {
      notes.push(
        `OCR reads at most ${MAX_OCR_PAGES} scanned pages of a document: pages ${skipped[0]}-${skipped[skipped.length - 1]} were not read.`,
      );
    }
    if (fromText === 0 && fromOcr === 0) {
      throw new ExtractionProblem(notes.join(' ') || 'The PDF has no text to read.');
    }
    return {
      text: pageTexts.join('\n\f\n').trim(),
      method: fromOcr === 0 ? 'text_layer' : fromText === 0 ? 'ocr' : 'text_layer_and_ocr',
      pages: pdf.numPages,
      notes,
    };
  } finally {
    await pdf.loadingTask.destroy();
  }
}

export async function extractDocument(
  type: DocumentType,
  bytes: Buffer,
  ocr: OcrEngine,
  onPage: () => Promise<void> = async () => {},
): Promise<Extraction> {
  if (type === 'application/pdf') return extractPdf(bytes, ocr, onPage);
  const text = await ocrText(ocr, bytes, 'The image');
  return { text: text.trim(), method: 'ocr', pages: 1, notes: [] };
}
