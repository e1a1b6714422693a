/** One extension offer or response: a name and its parameters (a flag parameter is `true`). */
export interface ExtensionOffer {
  name: string;
  /** Parameters in order, as written; repeats are kept so that they can be rejected. */
  params: [string, string | true][];
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses a Sec-WebSocket-Extensions value (RFC 6455 §9.1): a comma-separated list of
 * `name *(; param[=value])`, values as tokens or quoted strings. Returns undefined when the
 * header is malformed.
 */
export function parseExtensions(value: string): ExtensionOffer[] | undefined {
  const offers: ExtensionOffer[] = [];
  let i = 0;
  const skipSpace = () => { while (value[i] === ' ' || value[i] === '\t') i++; };
  const readToken = () => {
    const start = i;
    while (i < value.length && !' \t,;="'.includes(value[i])) i++;
    const token = value.slice(start, i);
    return TOKEN.test(token) ? token : undefined;
  };
  while (i < value.length) {
    skipSpace();
    if (value[i] === ',') { i++; continue; }
    if (i >= value.length) break;
    const name = readToken();
    if (name === undefined) return undefined;
    const offer: ExtensionOffer = { name, params: [] };
    skipSpace();
    while (value[i] === ';') {
      i++;
      skipSpace();
      const param = readToken();
      if (param === undefined) return undefined;
      skipSpace();
      let paramValue: string | true = true;
      if (value[i] === '=') {
        i++;
        skipSpace();
        if (value[i] === '"') {
          const end = value.indexOf('"', i + 1);
          if (end < 0) return undefined;
          paramValue = value.slice(i + 1, end);
          i = end + 1;
          if (!TOKEN.test(paramValue)) return undefined; // RFC 6455 §9.1: a quoted value must still be a token
        } else {
          const token = readToken();
          if (token === undefined) return undefined;
          paramValue = token;
        }
        skipSpace();
      }
      offer.params.push([param, paramValue]);
    }
    if (i < value.length && value[i] !== ',') return undefined;
    offers.push(offer);
  }
  return offers;
}

/** Formats one extension for a Sec-WebSocket-Extensions header. */
export function formatExtension(offer: ExtensionOffer): string {
  return [offer.name, ...offer.params.map(([k, v]) => (v === true ? k : `${k}=${v}`))].join('; ');
}
