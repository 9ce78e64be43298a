import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';
/** GCM's full tag. Node accepts shorter ones unless told the length, and a 4-byte tag is cheap to forge. */
const TAG_BYTES = 16;

/**
 * AES-256-GCM for tokens at rest. The newest key seals; every key opens, found by a key id in
 * the sealed text, so a key can be rolled without signing anyone out. The associated data
 * (the grant id) ties a sealed value to its record: moved to another record, it will not open.
 */
export class TokenCipher {
  private readonly keys: { id: string; key: Buffer }[];

  constructor(keys: Buffer[]) {
    if (keys.length === 0 || keys.some((k) => k.length !== 32)) throw new Error('TokenCipher needs 32-byte keys');
    this.keys = keys.map((key) => ({ id: createHash('sha256').update(key).digest('base64url').slice(0, 8), key }));
  }

  seal(plaintext: string, associatedData: string): string {
    const { id, key } = this.keys[0];
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      id,
      iv.toString('base64url'),
      body.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
    ].join('.');
  }

  /** The plaintext, or undefined when the value was sealed with an unknown key or tampered with. */
  open(sealed: string, associatedData: string): string | undefined {
    const [version, id, iv, body, tag] = sealed.split('.');
    const entry = this.keys.find((k) => k.id === id);
    if (version !== VERSION || !entry || !iv || !body || !tag) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(iv, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(associatedData));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }

  /** True when the value was sealed with an older key and should be sealed again. */
  isStale(sealed: string): boolean {
    return sealed.split('.')[1] !== this.keys[0].id;
  }
}
