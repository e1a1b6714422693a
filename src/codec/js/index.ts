import type { FrameCodec } from '../codec';
import { parseHeader, writeHeader } from './header';
import { mask } from './mask';
import { scan } from './scan';
import { utf8 } from './utf8';

/** The pure-TypeScript codec: the reference every other codec must match byte for byte. */
export const js: FrameCodec = { name: 'js', simd: false, parseHeader, writeHeader, mask, utf8, scan };
