import type { UpgradeRequest } from '../conn/connection';
import { parseFieldLines, type HeaderFields } from './http-fields';

/**
 * The upgrade request serve() hands to a Conn. It keeps the header lines as the one string
 * they arrived as, and parses them again only if someone reads `headers` after the handshake:
 * a server holding thousands of idle connections keeps one short string per connection
 * instead of a dozen (names, values and the object holding them).
 */
export class ServerRequest implements UpgradeRequest {
  private parsed: HeaderFields | null;

  constructor(
    readonly method: string,
    readonly url: string,
    headers: HeaderFields,
    private readonly headerText: string,
  ) {
    this.parsed = headers;
  }

  /** Null-prototype map, lower-case names (the text was validated when the head was parsed). */
  get headers(): HeaderFields {
    return (this.parsed ??= parseFieldLines(this.headerText) as HeaderFields);
  }

  /** Lets go of the parsed headers (the handshake is done with them). */
  compact(): void {
    this.parsed = null;
  }

  toJSON(): UpgradeRequest {
    return { method: this.method, url: this.url, headers: this.headers };
  }
}
