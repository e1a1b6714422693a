import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';

/**
 * The test peer's own permessage-deflate, written straight on node:zlib (independent of
 * src/extensions): compress with a given window and context mode, inflate the other way.
 */
export class RawDeflate {
  private deflater: DeflateRaw;
  private inflater: InflateRaw;

  constructor(private readonly options: { windowBits: number; noContext: boolean; peerWindowBits: number; peerNoContext: boolean }) {
    this.deflater = createDeflateRaw({ windowBits: Math.max(options.windowBits, 9) });
    this.inflater = createInflateRaw({ windowBits: 15 });
  }

  /** The wire payload of one message: deflated, sync-flushed, tail removed. */
  async compress(data: Uint8Array): Promise<Uint8Array> {
    const out = await run(this.deflater, data);
    if (this.options.noContext) this.deflater.reset();
    return out.subarray(0, out.length - 4);
  }

  /** Inflates one received message payload. */
  async decompress(data: Uint8Array): Promise<Uint8Array> {
    const joined = new Uint8Array(data.length + 4);
    joined.set(data);
    joined.set([0, 0, 0xff, 0xff], data.length);
    const out = await run(this.inflater, joined);
    if (this.options.peerNoContext) this.inflater.reset();
    return out;
  }

  close(): void {
    this.deflater.close();
    this.inflater.close();
  }
}

function run(stream: DeflateRaw | InflateRaw, input: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const onData = (chunk: Buffer) => parts.push(chunk);
    stream.on('data', onData);
    stream.once('error', reject);
    stream.write(input);
    stream.flush(constants.Z_SYNC_FLUSH, () => {
      stream.off('data', onData);
      stream.off('error', reject);
      resolve(new Uint8Array(Buffer.concat(parts)));
    });
  });
}
