import type { FrameCodec, FrameHeader } from '../codec';
import {
  FLAG_COMPRESSED, FLAG_FIN, FLAG_FRAME_END, FLAG_FRAME_START, FLAG_MASK, FLAG_RSV1, FLAG_RSV2,
  FLAG_RSV3, OP_TEXT, REC_FLAGS, REC_LENGTH, REC_MESSAGE_OPCODE, REC_OFFSET, SCAN_RECORD_FIELDS,
  SCAN_SKIP_UTF8, SCAN_STATE_FIELDS, ST_CONSUMED, ST_OPTIONS, ST_STATUS, ST_UTF8, UTF8_ACCEPT,
  UTF8_REJECT,
} from '../constants';
import type { StreamingUtf8 } from '../native-utf8';
import type { WasmKernels } from './instance';
import { LinearMemory } from './memory';

/**
 * Input that is not already in linear memory is processed through the arena in windows of
 * this size, so a 16 MiB array costs a 1 MiB arena, not 16 MiB of memory kept forever.
 */
export const ARENA_WINDOW_BYTES = 1 << 20;

/** Header bytes at most (2 + 8 + 4). */
const MAX_HEADER_BYTES = 14;

/** A FrameCodec over WASM kernels. */
export interface WasmCodec extends FrameCodec {
  /** Linear memory, for tests and diagnostics. */
  readonly memory: LinearMemory;
}

function flagsOf(h: FrameHeader): number {
  return (h.opcode & 0xf) | (h.fin ? FLAG_FIN : 0) | (h.rsv1 ? FLAG_RSV1 : 0) | (h.rsv2 ? FLAG_RSV2 : 0)
    | (h.rsv3 ? FLAG_RSV3 : 0) | (h.masked ? FLAG_MASK : 0);
}

/**
 * Wraps loaded kernels as a FrameCodec. With `fastUtf8` (the runtime's native validator, see
 * native-utf8.ts), scan() leaves text to it instead of the kernel's 128-bit validator: the
 * kernel scans with SCAN_SKIP_UTF8 and the text records are validated after, in the same
 * order and with the same state; a chunk with invalid text or any other violation is scanned
 * again by the kernel from the same state and bytes, so results are the kernel's own.
 */
export function createWasmCodec(kernels: WasmKernels, simd: boolean, fastUtf8: StreamingUtf8 | null = null): WasmCodec {
  const memory = new LinearMemory(kernels);
  const arenaPtr = memory.arenaPtr;
  const headerOut = kernels.HEADER_OUT.value as number;
  const statePtr = kernels.scanStatePtr();
  const recordsPtr = kernels.recordsPtr();
  const maxRecords = kernels.MAX_RECORDS.value as number;
  const stateSlot = statePtr >>> 3;
  const recordsSlot = recordsPtr >>> 3;

  /** Copies src[start, start + n) into the arena and returns the arena's bytes view. */
  function copyIn(src: Uint8Array, start: number, n: number): Uint8Array {
    memory.reserveArena(n);
    const bytes = memory.bytes();
    bytes.set(src.subarray(start, start + n), arenaPtr);
    return bytes;
  }

  function mask(buf: Uint8Array, start: number, end: number, key: number, phase: number): number {
    if (memory.contains(buf)) return kernels.maskUnsafe(buf.byteOffset + start, end - start, key, phase);
    return maskInto(buf, start, end, buf, start, key, phase);
  }

  /** Masks through the arena, window by window, writing the result to dst (which may be src). */
  function maskInto(src: Uint8Array, start: number, end: number, dst: Uint8Array, dstStart: number, key: number, phase: number): number {
    phase &= 3;
    for (let pos = start; pos < end; pos += ARENA_WINDOW_BYTES) {
      const n = Math.min(end - pos, ARENA_WINDOW_BYTES);
      copyIn(src, pos, n);
      phase = kernels.maskUnsafe(arenaPtr, n, key, phase);
      dst.set(memory.bytes().subarray(arenaPtr, arenaPtr + n), dstStart + (pos - start));
    }
    return phase;
  }

  function utf8(buf: Uint8Array, start: number, end: number, state: number): number {
    if (memory.contains(buf)) return kernels.validateUtf8Unsafe(buf.byteOffset + start, end - start, state);
    for (let pos = start; pos < end; pos += ARENA_WINDOW_BYTES) {
      const n = Math.min(end - pos, ARENA_WINDOW_BYTES);
      copyIn(buf, pos, n);
      state = kernels.validateUtf8Unsafe(arenaPtr, n, state);
    }
    return state;
  }

  function parseHeader(src: Uint8Array, start: number, end: number, out: FrameHeader): number {
    const n = Math.min(end - start, MAX_HEADER_BYTES);
    const ptr = memory.contains(src) ? src.byteOffset + start : (copyIn(src, start, n), arenaPtr);
    const used = kernels.parseHeaderUnsafe(ptr, n);
    if (used <= 0) return used;
    const bytes = memory.bytes();
    const flags = bytes[headerOut] | (bytes[headerOut + 1] << 8);
    out.opcode = flags & 0xf;
    out.fin = (flags & FLAG_FIN) !== 0;
    out.rsv1 = (flags & FLAG_RSV1) !== 0;
    out.rsv2 = (flags & FLAG_RSV2) !== 0;
    out.rsv3 = (flags & FLAG_RSV3) !== 0;
    out.masked = (flags & FLAG_MASK) !== 0;
    out.maskKey = (bytes[headerOut + 4] | (bytes[headerOut + 5] << 8) | (bytes[headerOut + 6] << 16) | (bytes[headerOut + 7] << 24)) >>> 0;
    out.payloadLength = memory.float64()[(headerOut + 8) >>> 3];
    out.headerLength = used;
    return used;
  }

  function writeHeader(dst: Uint8Array, end: number, h: FrameHeader): number {
    memory.reserveArena(MAX_HEADER_BYTES);
    const endPtr = arenaPtr + MAX_HEADER_BYTES;
    const startPtr = kernels.writeHeaderUnsafe(endPtr, flagsOf(h), h.payloadLength, h.maskKey);
    const start = end - (endPtr - startPtr);
    dst.set(memory.bytes().subarray(startPtr, endPtr), start);
    return start;
  }

  /** One kernel call over [ptr, ptr + n); state and records copied across the boundary. */
  function scanOnce(ptr: number, n: number, state: Float64Array, records: Float64Array, recordAt: number, offsetBias: number): number {
    const f64 = memory.float64();
    f64.set(state, stateSlot);
    const limit = Math.min(maxRecords, Math.floor(records.length / SCAN_RECORD_FIELDS) - recordAt);
    const count = kernels.scanFramesUnsafe(ptr, n, statePtr, recordsPtr, limit);
    state.set(f64.subarray(stateSlot, stateSlot + SCAN_STATE_FIELDS));
    const at = recordAt * SCAN_RECORD_FIELDS;
    records.set(f64.subarray(recordsSlot, recordsSlot + count * SCAN_RECORD_FIELDS), at);
    if (offsetBias !== 0) {
      for (let r = 0; r < count; r++) records[at + r * SCAN_RECORD_FIELDS + REC_OFFSET] += offsetBias;
    }
    return count;
  }

  /** The state before a scan whose text is validated after it, to scan again from. */
  const before = new Float64Array(SCAN_STATE_FIELDS);

  /** scanOnce over src[pos, pos + n) copied into the arena, text validated by fastUtf8 where set. */
  function scanCopied(src: Uint8Array, pos: number, n: number, state: Float64Array, records: Float64Array, recordAt: number, offsetBias: number): number {
    copyIn(src, pos, n);
    const options = state[ST_OPTIONS];
    if (fastUtf8 === null || (options & SCAN_SKIP_UTF8) !== 0) return scanOnce(arenaPtr, n, state, records, recordAt, offsetBias);
    before.set(state);
    state[ST_OPTIONS] = options | SCAN_SKIP_UTF8;
    const count = scanOnce(arenaPtr, n, state, records, recordAt, 0);
    state[ST_OPTIONS] = options;
    const utf8 = state[ST_STATUS] === 0 ? validateRecords(records, recordAt, count, before[ST_UTF8]) : UTF8_REJECT;
    if (utf8 !== UTF8_REJECT) {
      state[ST_UTF8] = utf8;
      if (offsetBias !== 0) {
        const at = recordAt * SCAN_RECORD_FIELDS;
        for (let r = 0; r < count; r++) records[at + r * SCAN_RECORD_FIELDS + REC_OFFSET] += offsetBias;
      }
      return count;
    }
    // Invalid text or another violation: the kernel decides, from the same state and bytes.
    state.set(before);
    copyIn(src, pos, n);
    return scanOnce(arenaPtr, n, state, records, recordAt, offsetBias);
  }

  /**
   * The kernel's UTF-8 steps over records written with SCAN_SKIP_UTF8 (offsets from the
   * arena): the state after the last one, or UTF8_REJECT where the kernel would have stopped.
   */
  function validateRecords(records: Float64Array, recordAt: number, count: number, utf8: number): number {
    const bytes = memory.bytes();
    for (let r = recordAt * SCAN_RECORD_FIELDS, last = r + count * SCAN_RECORD_FIELDS; r < last; r += SCAN_RECORD_FIELDS) {
      const flags = records[r + REC_FLAGS];
      const opcode = flags & 0xf;
      if (opcode >= 8) continue;
      if ((flags & FLAG_FRAME_START) !== 0 && opcode !== 0) utf8 = UTF8_ACCEPT;
      const messageEnd = (flags & FLAG_FRAME_END) !== 0 && (flags & FLAG_FIN) !== 0;
      if (records[r + REC_MESSAGE_OPCODE] === OP_TEXT && (flags & FLAG_COMPRESSED) === 0) {
        const from = arenaPtr + records[r + REC_OFFSET];
        utf8 = fastUtf8!(bytes, from, from + records[r + REC_LENGTH], utf8);
        if (utf8 === UTF8_REJECT || (messageEnd && utf8 !== UTF8_ACCEPT)) return UTF8_REJECT;
      }
      if (messageEnd) utf8 = UTF8_ACCEPT;
    }
    return utf8;
  }

  function scan(buf: Uint8Array, start: number, end: number, state: Float64Array, records: Float64Array): number {
    if (memory.contains(buf)) return scanOnce(buf.byteOffset + start, end - start, state, records, 0, 0);
    const capacity = Math.floor(records.length / SCAN_RECORD_FIELDS);
    let total = 0;
    let pos = start;
    for (;;) {
      const n = Math.min(end - pos, ARENA_WINDOW_BYTES);
      total += scanCopied(buf, pos, n, state, records, total, pos - start);
      const consumed = state[ST_CONSUMED];
      // The whole window goes back: a payload unmasked just before a violation counts too.
      buf.set(memory.bytes().subarray(arenaPtr, arenaPtr + n), pos);
      pos += consumed;
      if (state[ST_STATUS] !== 0 || total >= capacity || pos + (n - consumed) >= end) break;
    }
    state[ST_CONSUMED] = pos - start;
    return total;
  }

  return { name: 'wasm', simd, parseHeader, writeHeader, mask, maskInto, utf8: fastUtf8 ?? utf8, scan, memory };
}
