// wasmws/codec's types stand alone: package.test.ts checks this file with no @types/node and
// no DOM lib (a Deno, worker or browser project), so the codec's declarations need neither.
import { js, OP_BINARY, OP_TEXT, selectCodec, STATUS_NEED_MORE, type FrameCodec, type FrameHeader } from 'wasmws/codec';

const header: FrameHeader = { fin: false, rsv1: false, rsv2: false, rsv3: false, opcode: 0, masked: false, maskKey: 0, payloadLength: 0, headerLength: 0 };
const codec: FrameCodec = selectCodec('auto');
// The constants have literal types that widen to number: a variable started from one takes any status.
let status = STATUS_NEED_MORE;
status = codec.parseHeader(new Uint8Array([0x81, 0x00]), 0, 2, header);
const opcodes = [OP_TEXT];
opcodes.push(OP_BINARY, header.opcode);
export const ok: boolean = status !== STATUS_NEED_MORE && opcodes[0] === OP_TEXT && js.name === 'js';
