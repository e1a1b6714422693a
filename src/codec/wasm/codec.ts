import type { FrameCodec, FrameHeader, ScanBytes } from '../codec';
import {
  FLAG_FIN, FLAG_FRAME_END, FLAG_FRAME_START, FLAG_MASK, FLAG_RSV1, FLAG_RSV2, FLAG_RSV3, REC_FLAGS,
  REC_OFFSET, SCAN_RECORD_FIELDS, SCAN_STATE_FIELDS, ST_CONSUMED, ST_STATUS,
} from '../constants';
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
  /** The reader's scan: see createWasmCodec. */
  scanForReader(buf: Uint8Array, start: number, end: number, state: Float64Array, records: Float64Array, where: ScanBytes): number;
  /** Linear memory, for tests and diagnostics. */
  readonly memory: LinearMemory;
}

function flagsOf(h: FrameHeader): number {
  return (h.opcode & 0xf) | (h.fin ? FLAG_FIN : 0) | (h.rsv1 ? FLAG_RSV1 : 0) | (h.rsv2 ? FLAG_RSV2 : 0)
    | (h.rsv3 ? FLAG_RSV3 : 0) | (h.masked ? FLAG_MASK : 0);
}

/** Wraps loaded kernels as a FrameCodec. */
export function createWasmCodec(kernels: WasmKernels, simd: boolean): WasmCodec {
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

  function scan(buf: Uint8Array, start: number, end: number, state: Float64Array, records: Float64Array): number {
    if (memory.contains(buf)) return scanOnce(buf.byteOffset + start, end - start, state, records, 0, 0);
    const capacity = Math.floor(records.length / SCAN_RECORD_FIELDS);
    let total = 0;
    let pos = start;
    for (;;) {
      const n = Math.min(end - pos, ARENA_WINDOW_BYTES);
      copyIn(buf, pos, n);
      total += scanOnce(arenaPtr, n, state, records, total, pos - start);
      const consumed = state[ST_CONSUMED];
      // The whole window goes back: a payload unmasked just before a violation counts too.
      buf.set(memory.bytes().subarray(arenaPtr, arenaPtr + n), pos);
      pos += consumed;
      if (state[ST_STATUS] !== 0 || total >= capacity || pos + (n - consumed) >= end) break;
    }
    state[ST_CONSUMED] = pos - start;
    return total;
  }

  /**
   * The frame reader's scan of one socket read. Like scan(), except that when no frame
   * completes inside the read — the middle of a large message — the unmasked bytes stay in
   * linear memory: the assembler copies them out anyway, so copying them back into `buf`
   * first would be a wasted pass over the data. `where` says where the unmasked bytes are: `buf`
   * (record offsets count from `start`) or all of linear memory (offsets count from the
   * arena), valid until the next call into this codec.
   */
  function scanForReader(buf: Uint8Array, start: number, end: number, state: Float64Array, records: Float64Array, where: ScanBytes): number {
    const n = end - start;
    where.bytes = buf;
    where.base = start;
    if (n > ARENA_WINDOW_BYTES || memory.contains(buf)) return scan(buf, start, end, state, records);
    copyIn(buf, start, n);
    const count = scanOnce(arenaPtr, n, state, records, 0, 0);
    let wholeFrame = state[ST_STATUS] !== 0;
    for (let r = 0; r < count && !wholeFrame; r++) {
      const flags = records[r * SCAN_RECORD_FIELDS + REC_FLAGS];
      wholeFrame = (flags & FLAG_FRAME_START) !== 0 && (flags & FLAG_FRAME_END) !== 0;
    }
    const bytes = memory.bytes();
    if (wholeFrame) {
      buf.set(bytes.subarray(arenaPtr, arenaPtr + n), start);
    } else {
      where.bytes = bytes;
      where.base = arenaPtr;
    }
    return count;
  }

  return { name: 'wasm', simd, parseHeader, writeHeader, mask, maskInto, utf8, scan, scanForReader, memory };
}
