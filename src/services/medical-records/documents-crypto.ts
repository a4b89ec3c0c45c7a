import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Encryption at rest of uploaded documents (bytes, not text): AES-256-GCM with a key derived from
 * SECRET_KEY by HKDF for this purpose alone, the same derivation as platform/crypto.ts's FieldCipher
 * (which seals strings; a document is sealed as bytes, without a base64 detour).
 * The owner and the document id are bound as additional authenticated data, so a sealed file copied onto
 * another row (or another user) no longer opens.
 * Layout: version (1 byte, 1) | IV (12 bytes) | tag (16 bytes) | ciphertext.
 */
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class DocumentCipher {
  private readonly key: Buffer;

  constructor(secretKey: string, purpose = 'medical-records:documents') {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, 'personal-health-assistant', purpose, 32));
  }

  private static aad(userId: string, documentId: string) {
    return Buffer.from(`${userId}/${documentId}`, 'utf8');
  }

  seal(plain: Buffer, userId: string, documentId: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(DocumentCipher.aad(userId, documentId));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, userId: string, documentId: string): Buffer {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
      throw new Error('Unrecognised sealed document');
    }
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(DocumentCipher.aad(userId, documentId));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  }
}
