import type { UpgradeRequest } from '../conn/connection';
import { parseHeaderLines } from './http-head';

/**
 * The upgrade request serve() hands to a Conn. It keeps the header lines as the one string
 * they arrived as, and parses them again only if someone reads `headers` after the handshake:
 * a server holding thousands of idle connections keeps one short string per connection
 * instead of a dozen (names, values and the object holding them).
 */
export class ServerRequest implements UpgradeRequest {
  private parsed: Record<string, string | string[]> | null;

  constructor(
    readonly method: string,
    readonly url: string,
    headers: Record<string, string | string[]>,
    private readonly headerText: string,
  ) {
    this.parsed = headers;
  }

  get headers(): Record<string, string | string[]> {
    return (this.parsed ??= parseHeaderLines(this.headerText));
  }

  /** Lets go of the parsed headers (the handshake is done with them). */
  compact(): void {
    this.parsed = null;
  }

  toJSON(): UpgradeRequest {
    return { method: this.method, url: this.url, headers: this.headers };
  }
}
