import { randomBytes } from 'node:crypto';
import { TokenCipher } from './token-cipher';

describe(TokenCipher.name, () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  it('seals so that the token is not in the sealed text, and opens it again', () => {
    const cipher = new TokenCipher([newKey]);
    const sealed = cipher.seal('the-access-token', 'grant-1');
    expect(sealed).not.toContain('the-access-token');
    expect(sealed).not.toContain(Buffer.from('the-access-token').toString('base64'));
    expect(cipher.open(sealed, 'grant-1')).toBe('the-access-token');
  });

  it('never seals the same token to the same text twice', () => {
    const cipher = new TokenCipher([newKey]);
    expect(cipher.seal('t', 'g')).not.toBe(cipher.seal('t', 'g'));
  });

  it('opens what an older key sealed after a key roll, and seals with the newest', () => {
    const sealedBefore = new TokenCipher([oldKey]).seal('token', 'g');
    const rolled = new TokenCipher([newKey, oldKey]);
    expect(rolled.open(sealedBefore, 'g')).toBe('token');
    expect(rolled.isStale(sealedBefore)).toBe(true);
    expect(rolled.isStale(rolled.seal('token', 'g'))).toBe(false);
  });

  it.each([
    ['a retired key', (s: string) => s, new TokenCipher([newKey]), 'g'],
    ['another record', (s: string) => s, new TokenCipher([oldKey]), 'other-grant'],
    [
      'a flipped byte',
      (s: string) =>
        s.replace(
          /\.(.)([^.]*)\.([^.]*)$/,
          (_m, c: string, rest: string, tag: string) => `.${c === 'A' ? 'B' : 'A'}${rest}.${tag}`,
        ),
      new TokenCipher([oldKey]),
      'g',
    ],
    ['garbage', () => 'v1.nope', new TokenCipher([oldKey]), 'g'],
  ])('refuses to open a value sealed for %s', (_case, tamper, cipher, aad) => {
    const sealed = tamper(new TokenCipher([oldKey]).seal('token', 'g'));
    expect(cipher.open(sealed, aad)).toBeUndefined();
  });

  // A truncated GCM tag is still a valid prefix of the real one: Node opens it unless told the tag's
  // length, and a 4-byte tag takes about 2^32 tries to forge instead of 2^128.
  it.each([4, 8, 12, 15])('refuses the real tag cut to %i bytes', (bytes) => {
    const cipher = new TokenCipher([newKey]);
    const sealed = cipher.seal('token', 'g');
    const parts = sealed.split('.');
    parts[4] = Buffer.from(parts[4], 'base64url').subarray(0, bytes).toString('base64url');
    expect(cipher.open(parts.join('.'), 'g')).toBeUndefined();
    expect(cipher.open(sealed, 'g')).toBe('token');
  });

  it('insists on 32-byte keys', () => {
    expect(() => new TokenCipher([randomBytes(16)])).toThrow();
  });
});
