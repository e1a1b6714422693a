import type { FrameHeader } from '../codec';
import {
  FLAG_COMPRESSED, FLAG_FIN, FLAG_FRAME_END, FLAG_FRAME_START, FLAG_MASK, FLAG_RSV1, FLAG_RSV2,
  FLAG_RSV3, OP_TEXT, REC_FLAGS, REC_FRAME_LENGTH, REC_LENGTH, REC_MESSAGE_OPCODE, REC_OFFSET,
  SCAN_ALLOW_RSV1, SCAN_FORBID_MASK, SCAN_RECORD_FIELDS, SCAN_REQUIRE_MASK, SCAN_SKIP_UTF8,
  ST_CONSUMED, ST_FRAME_FLAGS, ST_FRAME_LENGTH, ST_MASK_KEY, ST_MASK_PHASE, ST_MAX_MESSAGE_BYTES,
  ST_MESSAGE_BYTES, ST_MESSAGE_COMPRESSED, ST_MESSAGE_OPCODE, ST_OPTIONS, ST_REMAINING, ST_STATUS,
  ST_UTF8, STATUS_BAD_RSV1, STATUS_BAD_RSV23, STATUS_EXPECTED_CONTINUATION, STATUS_INVALID_UTF8,
  STATUS_MASKED, STATUS_MESSAGE_TOO_BIG, STATUS_UNEXPECTED_CONTINUATION, STATUS_UNMASKED,
  UTF8_ACCEPT, UTF8_REJECT,
} from '../constants';
import { parseHeader } from './header';
import { mask } from './mask';
import { utf8 } from './utf8';

const header: FrameHeader = {
  fin: false, rsv1: false, rsv2: false, rsv3: false, opcode: 0,
  masked: false, maskKey: 0, payloadLength: 0, headerLength: 0,
};

function flagsOf(h: FrameHeader): number {
  return h.opcode | (h.fin ? FLAG_FIN : 0) | (h.rsv1 ? FLAG_RSV1 : 0) | (h.rsv2 ? FLAG_RSV2 : 0)
    | (h.rsv3 ? FLAG_RSV3 : 0) | (h.masked ? FLAG_MASK : 0);
}

/** The byte operations a scan uses: the reference ones, or faster ones with the same results. */
export interface ScanKernels {
  mask(buf: Uint8Array, start: number, end: number, key: number, phase: number): number;
  utf8(buf: Uint8Array, start: number, end: number, state: number): number;
}

/**
 * One pass over buf[start, end): the TypeScript twin of assembly/scan.ts, step for step, so
 * the two give identical records and state on every input. See FrameCodec.scan.
 */
export function scan(buf: Uint8Array, start: number, end: number, state: Float64Array, records: Float64Array): number {
  return scanWith(REFERENCE, buf, start, end, state, records);
}

const REFERENCE: ScanKernels = { mask, utf8 };

/** scan() with other masking and UTF-8 kernels (select.ts: native isUtf8, WASM masking). */
export function scanWith(kernels: ScanKernels, buf: Uint8Array, start: number, end: number, state: Float64Array, records: Float64Array): number {
  const maxRecords = Math.floor(records.length / SCAN_RECORD_FIELDS);
  const options = state[ST_OPTIONS];
  const maxMessageBytes = state[ST_MAX_MESSAGE_BYTES];
  let remaining = state[ST_REMAINING];
  let messageBytes = state[ST_MESSAGE_BYTES];
  let key = state[ST_MASK_KEY];
  let phase = state[ST_MASK_PHASE];
  let frameFlags = state[ST_FRAME_FLAGS];
  let frameLength = state[ST_FRAME_LENGTH];
  let messageOpcode = state[ST_MESSAGE_OPCODE];
  let compressed = state[ST_MESSAGE_COMPRESSED];
  let utf8State = state[ST_UTF8];
  let status = 0;
  let count = 0;
  let pos = start;

  while (count < maxRecords) {
    let isStart = false;
    if (remaining === 0) {
      const used = parseHeader(buf, pos, end, header);
      if (used === 0) break;
      if (used < 0) { status = used; break; }
      const flags = flagsOf(header);
      const length = header.payloadLength;
      const opcode = header.opcode;
      if (header.rsv2 || header.rsv3) { status = STATUS_BAD_RSV23; break; }
      if ((options & SCAN_REQUIRE_MASK) && !header.masked) { status = STATUS_UNMASKED; break; }
      if ((options & SCAN_FORBID_MASK) && header.masked) { status = STATUS_MASKED; break; }
      if (opcode >= 8 || opcode === 0) {
        if (header.rsv1) { status = STATUS_BAD_RSV1; break; }
        if (opcode === 0 && messageOpcode === 0) { status = STATUS_UNEXPECTED_CONTINUATION; break; }
      } else {
        if (messageOpcode !== 0) { status = STATUS_EXPECTED_CONTINUATION; break; }
        if (header.rsv1 && !(options & SCAN_ALLOW_RSV1)) { status = STATUS_BAD_RSV1; break; }
        messageOpcode = opcode;
        compressed = header.rsv1 ? 1 : 0;
        messageBytes = 0;
        utf8State = UTF8_ACCEPT;
      }
      if (opcode < 8) {
        if (messageBytes + length > maxMessageBytes) { status = STATUS_MESSAGE_TOO_BIG; break; }
        messageBytes += length;
      }
      pos += used;
      remaining = length;
      frameLength = length;
      frameFlags = flags;
      key = header.maskKey;
      phase = 0;
      isStart = true;
    }

    const segment = Math.min(remaining, end - pos);
    if (segment === 0 && !isStart) break;
    if (frameFlags & FLAG_MASK) phase = kernels.mask(buf, pos, pos + segment, key, phase);
    const isEnd = segment === remaining;
    const opcode = frameFlags & 0xf;
    const isData = opcode < 8;
    if (isData && messageOpcode === OP_TEXT && !compressed && !(options & SCAN_SKIP_UTF8)) {
      utf8State = kernels.utf8(buf, pos, pos + segment, utf8State);
      const truncated = isEnd && (frameFlags & FLAG_FIN) !== 0 && utf8State !== UTF8_ACCEPT;
      if (utf8State === UTF8_REJECT || truncated) { status = STATUS_INVALID_UTF8; break; }
    }

    const r = count * SCAN_RECORD_FIELDS;
    records[r + REC_FLAGS] = frameFlags | (isStart ? FLAG_FRAME_START : 0) | (isEnd ? FLAG_FRAME_END : 0)
      | (isData && compressed ? FLAG_COMPRESSED : 0);
    records[r + REC_OFFSET] = pos - start;
    records[r + REC_LENGTH] = segment;
    records[r + REC_FRAME_LENGTH] = frameLength;
    records[r + REC_MESSAGE_OPCODE] = isData ? messageOpcode : opcode;
    count++;
    pos += segment;
    remaining -= segment;
    if (isEnd && isData && (frameFlags & FLAG_FIN)) {
      messageOpcode = 0;
      compressed = 0;
      messageBytes = 0;
      utf8State = UTF8_ACCEPT;
    }
  }

  state[ST_REMAINING] = remaining;
  state[ST_MESSAGE_BYTES] = messageBytes;
  state[ST_MASK_KEY] = key;
  state[ST_MASK_PHASE] = phase;
  state[ST_FRAME_FLAGS] = frameFlags;
  state[ST_FRAME_LENGTH] = frameLength;
  state[ST_MESSAGE_OPCODE] = messageOpcode;
  state[ST_MESSAGE_COMPRESSED] = compressed;
  state[ST_UTF8] = utf8State;
  state[ST_STATUS] = status;
  state[ST_CONSUMED] = pos - start;
  return count;
}
