import { UTF8_ACCEPT, UTF8_REJECT, UTF8_STATES, utf8Next } from '../constants';

/** state * 256 + byte -> next state, expanded from the rules WASM expands too. */
const TABLE = new Uint8Array(UTF8_STATES * 256);
for (let state = 0; state < UTF8_STATES; state++) {
  for (let byte = 0; byte < 256; byte++) TABLE[(state << 8) + byte] = utf8Next(state, byte);
}

/**
 * Streaming UTF-8 validation of buf[start, end) from `state`. Between characters, ASCII is
 * skipped 8 bytes per check.
 */
export function utf8(buf: Uint8Array, start: number, end: number, state: number): number {
  let i = start;
  while (i < end) {
    if (state === UTF8_ACCEPT) {
      while (i + 8 <= end && ((buf[i] | buf[i + 1] | buf[i + 2] | buf[i + 3] | buf[i + 4] | buf[i + 5] | buf[i + 6] | buf[i + 7]) & 0x80) === 0) i += 8;
      while (i < end && buf[i] < 0x80) i++;
      if (i >= end) break;
    }
    state = TABLE[(state << 8) + buf[i]];
    if (state === UTF8_REJECT) return UTF8_REJECT;
    i++;
  }
  return state;
}
