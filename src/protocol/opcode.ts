import { OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT } from '../codec/constants';

/** Frame opcodes. RFC 6455 §5.2. */
export const Opcode = {
  Continuation: OP_CONTINUATION,
  Text: OP_TEXT,
  Binary: OP_BINARY,
  Close: OP_CLOSE,
  Ping: OP_PING,
  Pong: OP_PONG,
} as const;

/** One of the defined opcodes. */
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** Control frames are close, ping and pong (opcodes with the high bit set). RFC 6455 §5.5. */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}
