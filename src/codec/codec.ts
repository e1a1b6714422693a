/** A decoded frame header. One instance per caller, reused for every frame. RFC 6455 §5.2. */
export interface FrameHeader {
  /** FIN: the final frame of its message. */
  fin: boolean;
  /** RSV1: set on the first frame of a compressed message (RFC 7692). */
  rsv1: boolean;
  /** RSV2: no extension here defines it. */
  rsv2: boolean;
  /** RSV3: no extension here defines it. */
  rsv3: boolean;
  /** 0x0-0xF; the codec rejects reserved opcodes. */
  opcode: number;
  /** The payload is masked (every client frame, no server frame). */
  masked: boolean;
  /** The 4 key bytes read big-endian into a u32 (0 when unmasked). */
  maskKey: number;
  /** Payload bytes; at most Number.MAX_SAFE_INTEGER. */
  payloadLength: number;
  /** 2..14. */
  headerLength: number;
}

/** Which implementation a codec is. */
export type CodecName = 'js' | 'wasm';

/**
 * The frame codec: the operations on the hot path, as pure functions over byte ranges.
 * Numbers in, numbers out: no per-frame allocation and no exception across the boundary.
 * Every implementation gives byte-identical results on every input; `js` is the reference.
 */
export interface FrameCodec {
  /** Which implementation this is: `'js'` or `'wasm'`. */
  readonly name: CodecName;
  /** True when the implementation uses v128 SIMD. */
  readonly simd: boolean;
  /**
   * Reads the header at src[start, end).
   * Returns > 0: header length, `out` filled · 0: need more bytes, nothing consumed ·
   * < 0: a STATUS_* code for a frame no reader may accept. Never throws.
   */
  parseHeader(src: Uint8Array, start: number, end: number, out: FrameHeader): number;
  /**
   * Writes the header for `h` so that it ends exactly at `end` and returns its start.
   * Minimal length encoding; mask bit and key when `h.masked`. Uses fin, rsv1-3, opcode,
   * masked, maskKey and payloadLength; headerLength is ignored.
   */
  writeHeader(dst: Uint8Array, end: number, h: FrameHeader): number;
  /** XORs buf[start, end) in place from key byte `phase` (0-3); returns the next phase. */
  mask(buf: Uint8Array, start: number, end: number, key: number, phase: number): number;
  /**
   * Optional: writes src[start, end) XORed with the key into dst at `dstStart`, src
   * unchanged, in one pass where the implementation can (a client frame masked straight from
   * the caller's payload). Returns the next phase.
   */
  maskInto?(src: Uint8Array, start: number, end: number, dst: Uint8Array, dstStart: number, key: number, phase: number): number;
  /**
   * Streaming UTF-8 validation of buf[start, end) from `state` (UTF8_ACCEPT for a new
   * message). Returns UTF8_ACCEPT, UTF8_REJECT, or an in-sequence state to pass back.
   */
  utf8(buf: Uint8Array, start: number, end: number, state: number): number;
  /**
   * Scans buf[start, end) for frames in one pass: headers parsed, frame rules enforced for the
   * role in `state`, payloads unmasked in place, uncompressed text validated as it arrives.
   * `state` is a SCAN_STATE_FIELDS Float64Array carried between calls (see ScanState);
   * one record of SCAN_RECORD_FIELDS per payload segment is written to `records`.
   * Returns the number of records; ST_STATUS and ST_CONSUMED say where and why it stopped.
   */
  scan(buf: Uint8Array, start: number, end: number, state: Float64Array, records: Float64Array): number;
}
