// Portable: valid AssemblyScript and valid TypeScript. Both the WASM kernels and the
// TypeScript codec import these, so a status means the same thing on either side.
// Every constant is an integer literal without a type annotation: AssemblyScript infers i32,
// TypeScript the literal's own type. An `i32` annotation would leak into the published
// declarations (dist/codec.d.ts), where no `i32` exists (test/package/ type-checks them).

/** Result codes of the codec. 0 = need more bytes; > 0 = bytes used; < 0 = a rejection. */
export const STATUS_NEED_MORE = 0;
/** Opcode 3-7 or 0xB-0xF (RFC 6455 §5.2). */
export const STATUS_BAD_OPCODE = -1;
/** A control frame without FIN (RFC 6455 §5.5). */
export const STATUS_FRAGMENTED_CONTROL = -2;
/** A control frame with a payload over 125 bytes (RFC 6455 §5.5). */
export const STATUS_CONTROL_TOO_LONG = -3;
/** A 64-bit length with its most significant bit set (RFC 6455 §5.2). */
export const STATUS_LENGTH_TOP_BIT = -4;
/** A 64-bit length above Number.MAX_SAFE_INTEGER: valid on the wire, unrepresentable here. */
export const STATUS_LENGTH_UNSAFE = -5;
/** RSV1 set with no extension that defines it, or on a continuation/control frame. */
export const STATUS_BAD_RSV1 = -6;
/** RSV2 or RSV3 set: no extension here defines them. */
export const STATUS_BAD_RSV23 = -7;
/** An unmasked frame from a client (RFC 6455 §5.1). */
export const STATUS_UNMASKED = -8;
/** A masked frame from a server (RFC 6455 §5.1). */
export const STATUS_MASKED = -9;
/** A continuation frame with no message in progress (RFC 6455 §5.4). */
export const STATUS_UNEXPECTED_CONTINUATION = -10;
/** A new text/binary frame while a fragmented message is in progress (RFC 6455 §5.4). */
export const STATUS_EXPECTED_CONTINUATION = -11;
/** Invalid UTF-8 in a text message (RFC 6455 §8.1). */
export const STATUS_INVALID_UTF8 = -12;
/** A message larger than the configured limit. */
export const STATUS_MESSAGE_TOO_BIG = -13;

/** Streaming UTF-8 validator: the bytes so far end on a complete, valid sequence. */
export const UTF8_ACCEPT = 0;
/** Streaming UTF-8 validator: some prefix of the bytes is invalid. Sticky. */
export const UTF8_REJECT = 1;

/** Opcodes (RFC 6455 §5.2): a continuation frame. */
export const OP_CONTINUATION = 0x0;
/** A text frame: UTF-8 payload. */
export const OP_TEXT = 0x1;
/** A binary frame. */
export const OP_BINARY = 0x2;
/** A close frame (RFC 6455 §5.5.1). */
export const OP_CLOSE = 0x8;
/** A ping (RFC 6455 §5.5.2). */
export const OP_PING = 0x9;
/** A pong (RFC 6455 §5.5.3). */
export const OP_PONG = 0xa;

// Header flags word, as the codec reports it (FrameHeader and scan records):
//   bits 0-3 opcode · 4 FIN · 5 RSV1 · 6 RSV2 · 7 RSV3 · 8 MASK
/** Flags: FIN, the final frame of a message. */
export const FLAG_FIN = 0x10;
/** Flags: RSV1 (permessage-deflate: the message is compressed). */
export const FLAG_RSV1 = 0x20;
/** Flags: RSV2 (no extension here defines it). */
export const FLAG_RSV2 = 0x40;
/** Flags: RSV3 (no extension here defines it). */
export const FLAG_RSV3 = 0x80;
/** Flags: the payload is masked. */
export const FLAG_MASK = 0x100;
/** Scan records only: this segment holds the first payload byte of its frame. */
export const FLAG_FRAME_START = 0x200;
/** Scan records only: this segment holds the last payload byte of its frame. */
export const FLAG_FRAME_END = 0x400;
/** Scan records only: this segment belongs to a compressed (RSV1) message. */
export const FLAG_COMPRESSED = 0x800;

// Scan options word.
/** Server role: every client frame is masked. */
export const SCAN_REQUIRE_MASK = 1;
/** Client role: no server frame is masked. */
export const SCAN_FORBID_MASK = 2;
/** An extension that defines RSV1 was negotiated. */
export const SCAN_ALLOW_RSV1 = 4;
/** The caller validates text itself. */
export const SCAN_SKIP_UTF8 = 8;

// Scan record layout: SCAN_RECORD_FIELDS f64 slots per record.
/** Header flags of the frame + FLAG_FRAME_START/END/COMPRESSED. */
export const REC_FLAGS = 0;
/** Where this segment's payload starts in the scanned buffer. */
export const REC_OFFSET = 1;
/** Bytes of payload in this segment. */
export const REC_LENGTH = 2;
/** The whole frame's payload length. */
export const REC_FRAME_LENGTH = 3;
/** OP_TEXT / OP_BINARY of the message, or the control opcode. */
export const REC_MESSAGE_OPCODE = 4;
/** Slots per scan record. */
export const SCAN_RECORD_FIELDS = 5;

// Scan state layout: SCAN_STATE_FIELDS f64 slots, read and written by every scan call.
/** Payload bytes of the current frame not yet seen. */
export const ST_REMAINING = 0;
/** Payload bytes of the current message so far. */
export const ST_MESSAGE_BYTES = 1;
/** Limit; checked from each header before buffering. */
export const ST_MAX_MESSAGE_BYTES = 2;
/** Current frame's key, big-endian u32. */
export const ST_MASK_KEY = 3;
/** 0..3. */
export const ST_MASK_PHASE = 4;
/** Current frame's header flags. */
export const ST_FRAME_FLAGS = 5;
/** Current frame's payload length. */
export const ST_FRAME_LENGTH = 6;
/** 0 = no message in progress, else OP_TEXT/OP_BINARY. */
export const ST_MESSAGE_OPCODE = 7;
/** 1 when the message in progress had RSV1. */
export const ST_MESSAGE_COMPRESSED = 8;
/** Validator state of the text message in progress. */
export const ST_UTF8 = 9;
/** SCAN_* bits. */
export const ST_OPTIONS = 10;
/** Out: 0, or the negative status that stopped the scan. */
export const ST_STATUS = 11;
/** Out: bytes consumed; the rest is a partial header. */
export const ST_CONSUMED = 12;
/** Slots of the scan state. */
export const SCAN_STATE_FIELDS = 13;
