// The chunked transfer coding (RFC 9112 §7.1), decoded for an error response's body: bounded
// in what it keeps and in how long a size line may be, and it stops at the first malformed byte.

/** Longest chunk-size line (size, extensions) read before the body is taken as malformed. */
const MAX_SIZE_LINE = 1024;

const CR = 0x0d;
const LF = 0x0a;

/** Decodes chunked bytes pushed in pieces; `done` once the last chunk, a malformed byte or the limit is reached. */
export class ChunkedDecoder {
  /** The decoded bytes so far, at most `limit`. */
  readonly parts: Uint8Array[] = [];
  /** How many decoded bytes `parts` holds. */
  length = 0;
  /** True at the last chunk, a malformed byte, or `limit` bytes decoded. */
  done = false;
  private state: 'size' | 'ext' | 'size-lf' | 'data' | 'data-cr' | 'data-lf' = 'size';
  private size = 0;
  private sizeDigits = 0;
  private lineBytes = 0;
  private left = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length && !this.done; i++) {
      const byte = chunk[i];
      switch (this.state) {
        case 'size': {
          const digit = hexValue(byte);
          if (digit >= 0 && this.sizeDigits < 8) { // 8 hex digits: chunks up to 4 GiB, plenty for an error page
            this.size = this.size * 16 + digit;
            this.sizeDigits++;
          } else if (this.sizeDigits > 0 && (byte === 0x3b || byte === 0x20 || byte === 0x09)) this.state = 'ext';
          else if (this.sizeDigits > 0 && byte === CR) this.state = 'size-lf';
          else this.done = true;
          break;
        }
        case 'ext':
          if (byte === CR) this.state = 'size-lf';
          else if (++this.lineBytes > MAX_SIZE_LINE || byte === LF) this.done = true;
          break;
        case 'size-lf':
          if (byte !== LF || this.size === 0) { this.done = true; break; } // the last chunk: trailers are not read
          this.left = this.size;
          this.state = 'data';
          break;
        case 'data': {
          const take = Math.min(this.left, chunk.length - i, this.limit - this.length);
          this.parts.push(chunk.slice(i, i + take));
          this.length += take;
          this.left -= take;
          i += take - 1;
          if (this.length >= this.limit) this.done = true;
          else if (this.left === 0) this.state = 'data-cr';
          break;
        }
        case 'data-cr':
          if (byte === CR) this.state = 'data-lf';
          else this.done = true;
          break;
        case 'data-lf':
          if (byte !== LF) { this.done = true; break; }
          this.state = 'size';
          this.size = 0;
          this.sizeDigits = 0;
          this.lineBytes = 0;
          break;
      }
    }
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}
