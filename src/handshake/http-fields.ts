/**
 * The field-line grammar of RFC 9110 §5 / RFC 9112 §5, as strict as Node's own parser
 * (llhttp) or stricter: whatever llhttp refuses, this refuses too.
 */

/** Header fields by lower-case name; a repeated field collects its values in order. */
export type HeaderFields = Record<string, string | string[]>;

/** A field name: a token (RFC 9110 §5.1, §5.6.2). No space, no control byte, no colon. */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * A field value once its surrounding whitespace is trimmed: VCHAR, obs-text, SP and HTAB
 * (RFC 9110 §5.5). Every other control byte, CR and LF included, is refused: a bare LF
 * inside a value must never let one line be read as two (or two as one) by different parsers.
 */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * One whole field line with a token name, its value trimmed of SP/HTAB and free of control
 * bytes, then CRLF or the end of the text (sticky, from lastIndex). Content-Length is left
 * to the slow path, which checks its digits.
 */
const WELL_FORMED_LINE = /(?![Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Ll][Ee][Nn][Gg][Tt][Hh]:)([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*((?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)[ \t]*(?:\r\n|$)/y;

/** A Content-Length field value as received: digits, optional whitespace before, spaces after. */
const CONTENT_LENGTH = /^[ \t]*\d+ *$/;

/** True when `name` may be sent or received as a header field name. */
export function isFieldName(name: string): boolean {
  return FIELD_NAME.test(name);
}

/** True when `value` may be sent or received as a header field value. */
export function isFieldValue(value: string): boolean {
  return FIELD_VALUE.test(value);
}

/**
 * A fresh field map with no prototype: a peer's `__proto__`, `constructor` or `toString`
 * header is an ordinary entry, never an inherited member.
 */
export function emptyFields(): HeaderFields {
  return Object.create(null) as HeaderFields;
}

/** Adds one field to `fields`, collecting repeats into an array. */
function addField(fields: HeaderFields, name: string, value: string): void {
  const existing = fields[name];
  if (existing === undefined) fields[name] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else fields[name] = [existing, value];
}

/**
 * Parses header lines ("Name: value" joined by CRLF, no bare CR or LF left) into a
 * null-prototype map with lower-case names. Returns a description of the first malformed
 * line instead: a line folded onto the previous one (obs-fold, RFC 9112 §5.2), a name that
 * is not a token or is followed by whitespace (§5.1), a value with a control byte.
 */
export function parseFieldLines(text: string): HeaderFields | string {
  const fields = emptyFields();
  if (text === '') return fields;
  // The common case in one regex per line; a line it does not take is read again below,
  // rule by rule, for the reason it is refused (or, for Content-Length, for its check).
  WELL_FORMED_LINE.lastIndex = 0;
  let at = 0;
  for (let match; at < text.length && (match = WELL_FORMED_LINE.exec(text)) !== null && match.index === at;) {
    addField(fields, match[1].toLowerCase(), match[2]);
    at = WELL_FORMED_LINE.lastIndex;
  }
  if (at >= text.length && !text.endsWith('\r\n')) return fields;
  for (const line of text.slice(at).split('\r\n')) {
    if (line[0] === ' ' || line[0] === '\t') return 'obsolete line folding (RFC 9112 §5.2)';
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    if (colon <= 0 || !isFieldName(name)) return `malformed header line ${JSON.stringify(line.slice(0, 40))}`;
    const raw = line.slice(colon + 1);
    const value = raw.replace(/^[ \t]+|[ \t]+$/g, '');
    if (!isFieldValue(value)) return `header ${name} holds a control character`;
    const lower = name.toLowerCase();
    // llhttp refuses a tab after the digits; be no more lenient where framing is concerned.
    if (lower === 'content-length' && !CONTENT_LENGTH.test(raw)) return `invalid Content-Length ${JSON.stringify(value.slice(0, 20))}`;
    addField(fields, lower, value);
  }
  return fields;
}

/**
 * The message-framing rules of RFC 9112 §6: at most one Content-Length (parseFieldLines
 * checked its digits; a repeated one, even with the same value, is refused as llhttp
 * refuses it: two parsers must never disagree on where a message ends), and never both
 * Content-Length and Transfer-Encoding (§6.3). Returns what is wrong, or undefined.
 */
export function framingError(fields: HeaderFields): string | undefined {
  const length = fields['content-length'];
  if (length === undefined) return undefined;
  if (Array.isArray(length)) return 'more than one Content-Length';
  if (fields['transfer-encoding'] !== undefined) return 'both Content-Length and Transfer-Encoding';
  return undefined;
}
