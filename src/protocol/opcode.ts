import { OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT } from '../codec/constants';

/** Frame opcodes. RFC 6455 §5.2. */
export const Opcode = {
  /** A continuation frame of a fragmented message. */
  Continuation: OP_CONTINUATION,
  /** A text frame: UTF-8. */
  Text: OP_TEXT,
  /** A binary frame. */
  Binary: OP_BINARY,
  /** A close frame. */
  Close: OP_CLOSE,
  /** A ping. */
  Ping: OP_PING,
  /** A pong. */
  Pong: OP_PONG,
} as const;

/** One of the defined opcodes. */
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** Control frames are close, ping and pong (opcodes with the high bit set). RFC 6455 §5.5. */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}
