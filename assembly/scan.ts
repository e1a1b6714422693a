import {
  FLAG_COMPRESSED, FLAG_FIN, FLAG_FRAME_END, FLAG_FRAME_START, FLAG_MASK, FLAG_RSV1, FLAG_RSV2,
  FLAG_RSV3, OP_TEXT, REC_FLAGS, REC_FRAME_LENGTH, REC_LENGTH, REC_MESSAGE_OPCODE, REC_OFFSET,
  SCAN_ALLOW_RSV1, SCAN_FORBID_MASK, SCAN_RECORD_FIELDS, SCAN_REQUIRE_MASK, SCAN_SKIP_UTF8,
  ST_CONSUMED, ST_FRAME_FLAGS, ST_FRAME_LENGTH, ST_MASK_KEY, ST_MASK_PHASE, ST_MAX_MESSAGE_BYTES,
  ST_MESSAGE_BYTES, ST_MESSAGE_COMPRESSED, ST_MESSAGE_OPCODE, ST_OPTIONS, ST_REMAINING,
  ST_STATUS, ST_UTF8, STATUS_BAD_RSV1, STATUS_BAD_RSV23, STATUS_EXPECTED_CONTINUATION,
  STATUS_INVALID_UTF8, STATUS_MASKED, STATUS_MESSAGE_TOO_BIG, STATUS_UNEXPECTED_CONTINUATION,
  STATUS_UNMASKED, UTF8_ACCEPT, UTF8_REJECT,
} from "./shared/status";
import { HEADER_OUT, parseHeaderUnsafe } from "./header";
import { maskUnsafe } from "./mask";
import { validateUtf8Unsafe } from "./utf8";

// @ts-ignore: decorator
@inline function getState(state: usize, field: i32): f64 {
  return load<f64>(state + (usize(field) << 3));
}

// @ts-ignore: decorator
@inline function setState(state: usize, field: i32, value: f64): void {
  store<f64>(state + (usize(field) << 3), value);
}

/**
 * Scans [ptr, ptr + len) for frames in one pass: parses every header, enforces the frame rules
 * of RFC 6455 §5 for the role in ST_OPTIONS, unmasks every payload in place, validates the
 * UTF-8 of uncompressed text as it goes (so a bad byte fails in the fragment that holds it),
 * and writes one record per payload segment at `records` (SCAN_RECORD_FIELDS f64 each).
 *
 * A frame whose payload runs past the buffer yields a segment and leaves ST_REMAINING > 0;
 * a header cut by the end of the buffer is left unconsumed (ST_CONSUMED stops before it).
 * Scanning stops at the first violation with its status in ST_STATUS: the records before it
 * are valid. Returns the number of records written (at most maxRecords).
 *
 * The state at `state` (SCAN_STATE_FIELDS f64) carries everything between calls, so a stream
 * may be cut anywhere.
 */
export function scanFramesUnsafe(ptr: usize, len: usize, state: usize, records: usize, maxRecords: i32): i32 {
  const end = ptr + len;
  const options = u32(getState(state, ST_OPTIONS));
  const maxMessageBytes = getState(state, ST_MAX_MESSAGE_BYTES);
  let remaining = getState(state, ST_REMAINING);
  let messageBytes = getState(state, ST_MESSAGE_BYTES);
  let key = u32(getState(state, ST_MASK_KEY));
  let phase = u32(getState(state, ST_MASK_PHASE));
  let frameFlags = u32(getState(state, ST_FRAME_FLAGS));
  let frameLength = getState(state, ST_FRAME_LENGTH);
  let messageOpcode = u32(getState(state, ST_MESSAGE_OPCODE));
  let compressed = u32(getState(state, ST_MESSAGE_COMPRESSED));
  let utf8 = u32(getState(state, ST_UTF8));
  let status: i32 = 0;
  let count: i32 = 0;
  let pos = ptr;

  while (count < maxRecords) {
    let isStart = false;
    if (remaining == 0) {
      const used = parseHeaderUnsafe(pos, end - pos);
      if (used == 0) break;
      if (used < 0) { status = used; break; }
      const flags = load<u32>(HEADER_OUT);
      const length = load<f64>(HEADER_OUT, 8);
      const opcode = flags & 0xf;
      if (flags & (FLAG_RSV2 | FLAG_RSV3)) { status = STATUS_BAD_RSV23; break; }
      if ((options & SCAN_REQUIRE_MASK) && !(flags & FLAG_MASK)) { status = STATUS_UNMASKED; break; }
      if ((options & SCAN_FORBID_MASK) && (flags & FLAG_MASK)) { status = STATUS_MASKED; break; }
      if (opcode >= 8 || opcode == 0) {
        if (flags & FLAG_RSV1) { status = STATUS_BAD_RSV1; break; }
        if (opcode == 0 && messageOpcode == 0) { status = STATUS_UNEXPECTED_CONTINUATION; break; }
      } else {
        if (messageOpcode != 0) { status = STATUS_EXPECTED_CONTINUATION; break; }
        if ((flags & FLAG_RSV1) && !(options & SCAN_ALLOW_RSV1)) { status = STATUS_BAD_RSV1; break; }
        messageOpcode = opcode;
        compressed = flags & FLAG_RSV1 ? 1 : 0;
        messageBytes = 0;
        utf8 = UTF8_ACCEPT;
      }
      if (opcode < 8) {
        if (messageBytes + length > maxMessageBytes) { status = STATUS_MESSAGE_TOO_BIG; break; }
        messageBytes += length;
      }
      pos += usize(used);
      remaining = length;
      frameLength = length;
      frameFlags = flags;
      key = load<u32>(HEADER_OUT, 4);
      phase = 0;
      isStart = true;
    }

    const avail = f64(end - pos);
    const segment = usize(remaining < avail ? remaining : avail);
    if (segment == 0 && !isStart) break;
    if (frameFlags & FLAG_MASK) phase = maskUnsafe(pos, segment, key, phase);
    const isEnd = f64(segment) == remaining;
    const opcode = frameFlags & 0xf;
    const isData = opcode < 8;
    if (isData && messageOpcode == OP_TEXT && !compressed && !(options & SCAN_SKIP_UTF8)) {
      utf8 = validateUtf8Unsafe(pos, segment, utf8);
      const truncated = isEnd && (frameFlags & FLAG_FIN) != 0 && utf8 != UTF8_ACCEPT;
      if (utf8 == UTF8_REJECT || truncated) { status = STATUS_INVALID_UTF8; break; }
    }

    const record = records + usize(count) * usize(SCAN_RECORD_FIELDS << 3);
    let recordFlags = frameFlags;
    if (isStart) recordFlags |= FLAG_FRAME_START;
    if (isEnd) recordFlags |= FLAG_FRAME_END;
    if (isData && compressed) recordFlags |= FLAG_COMPRESSED;
    store<f64>(record + (REC_FLAGS << 3), f64(recordFlags));
    store<f64>(record + (REC_OFFSET << 3), f64(pos - ptr));
    store<f64>(record + (REC_LENGTH << 3), f64(segment));
    store<f64>(record + (REC_FRAME_LENGTH << 3), frameLength);
    store<f64>(record + (REC_MESSAGE_OPCODE << 3), f64(isData ? messageOpcode : opcode));
    count++;
    pos += segment;
    remaining -= f64(segment);
    if (isEnd && isData && (frameFlags & FLAG_FIN)) {
      messageOpcode = 0;
      compressed = 0;
      messageBytes = 0;
      utf8 = UTF8_ACCEPT;
    }
  }

  setState(state, ST_REMAINING, remaining);
  setState(state, ST_MESSAGE_BYTES, messageBytes);
  setState(state, ST_MASK_KEY, f64(key));
  setState(state, ST_MASK_PHASE, f64(phase));
  setState(state, ST_FRAME_FLAGS, f64(frameFlags));
  setState(state, ST_FRAME_LENGTH, frameLength);
  setState(state, ST_MESSAGE_OPCODE, f64(messageOpcode));
  setState(state, ST_MESSAGE_COMPRESSED, f64(compressed));
  setState(state, ST_UTF8, f64(utf8));
  setState(state, ST_STATUS, f64(status));
  setState(state, ST_CONSUMED, f64(pos - ptr));
  return count;
}
