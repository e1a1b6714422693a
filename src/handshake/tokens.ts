/** Splits a comma-separated header value into trimmed, non-empty tokens. RFC 9110 §5.6.1. */
export function headerTokens(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
}

/** True when the token list in `value` contains `token`, compared case-insensitively. */
export function hasToken(value: string | string[] | undefined, token: string): boolean {
  const wanted = token.toLowerCase();
  // The usual "Upgrade: websocket": the whole value is the one token, no list to split.
  if (typeof value === 'string' && value.length === wanted.length && value.toLowerCase() === wanted) return true;
  return headerTokens(value).some((t) => t.toLowerCase() === wanted);
}

/** A token as RFC 9110 §5.6.2 defines it (subprotocol names must be tokens, RFC 6455 §4.1). */
export function isToken(value: string): boolean {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(value);
}

/** One value of a header that may repeat, as a string (repeats joined with ", "). */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
