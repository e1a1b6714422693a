import { OP_TEXT } from '../codec/constants';

const decoder = new TextDecoder();

/** The type of a data message. */
export type MessageType = 'text' | 'binary';

/** The message type a data opcode stands for. RFC 6455 §5.6. */
export function messageType(opcode: number): MessageType {
  return opcode === OP_TEXT ? 'text' : 'binary';
}

/** A received data message. Text was validated as UTF-8 before it got here. */
export class Message {
  constructor(
    /** 'text' or 'binary', from the first frame's opcode. */
    readonly type: MessageType,
    /** The payload bytes (for text, its UTF-8). */
    readonly data: Uint8Array,
  ) {}

  /** The payload decoded as UTF-8 (valid for text messages by construction). */
  text(): string {
    return decoder.decode(this.data);
  }

  /** The payload parsed as JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }

  /** True for a text message. */
  get isText(): boolean {
    return this.type === 'text';
  }
}
