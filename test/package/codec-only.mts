// wasmws/codec's types stand alone: package.test.ts checks this file with no @types/node and
// no DOM lib (a Deno, worker or browser project), so the codec's declarations need neither.
import { js, OP_TEXT, selectCodec, STATUS_NEED_MORE, type FrameCodec, type FrameHeader } from 'wasmws/codec';

const header: FrameHeader = { fin: false, rsv1: false, rsv2: false, rsv3: false, opcode: 0, masked: false, maskKey: 0, payloadLength: 0, headerLength: 0 };
const codec: FrameCodec = selectCodec('auto');
const used: number = codec.parseHeader(new Uint8Array([0x81, 0x00]), 0, 2, header);
export const ok: boolean = used !== STATUS_NEED_MORE && header.opcode === OP_TEXT && js.name === 'js';
