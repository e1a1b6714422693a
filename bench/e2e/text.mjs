// Shared by load.mjs and zlib-floor.mjs.

/**
 * The text of the compression shapes: JSON-like records (field names repeat, values vary),
 * `size` bytes of it. The same generator in the zlib floor (zlib-floor.mjs).
 */
export function jsonText(size) {
  let text = '[';
  for (let i = 0; text.length < size; i++) {
    text += JSON.stringify({ id: 100000 + i * 7919 % 100000, user: `user${(i * 31) % 997}`, kind: ['post', 'like', 'reply'][i % 3], at: 1732000000000 + i * 1013, text: `message number ${i} about ${['cats', 'rust', 'zlib', 'tcp'][i % 4]}` }) + ',';
  }
  return text.slice(0, size - 1) + ']';
}

