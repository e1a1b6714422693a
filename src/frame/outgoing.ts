import { OP_BINARY, OP_TEXT } from '../codec/constants';

/** Data a message can be made of. */
export type MessageData = string | Uint8Array | ArrayBuffer | ArrayBufferView;

const encoder = new TextEncoder();

/**
 * The opcode and bytes of a message to send: strings are text (UTF-8) unless `binary`,
 * bytes are binary unless `binary === false`. Views are not copied.
 */
export function outgoingMessage(data: MessageData, binary: boolean | undefined): { opcode: number; payload: Uint8Array } {
  if (typeof data === 'string') return { opcode: binary ? OP_BINARY : OP_TEXT, payload: encoder.encode(data) };
  const payload = data instanceof Uint8Array ? data
    : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);
  return { opcode: binary === false ? OP_TEXT : OP_BINARY, payload };
}
