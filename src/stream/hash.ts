/**
 * A 52-bit string hash held exactly in a double: two FNV-1a variants, 26 bits of each. The seed
 * separates key spaces (a user id and a session id with the same text hash differently).
 */
export function hash52(s: string, seed = 0): number {
  let a = 0x811c9dc5 ^ seed;
  let b = Math.imul(0x01000193 ^ s.length, seed + 0x9e3779b1);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 6) * 0x4000000 + (b >>> 6) + 1; // never 0: 0 marks an empty slot
}
