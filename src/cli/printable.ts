// Text from outside (file, folder, library and tenant names, store keys, remote messages) made safe for a
// terminal: control characters could rewrite the screen (ESC sequences) or forge a line ("\nerror: ...").
// Escaped the way JSON.stringify writes them (\u001b, \n), as `import` always showed them.

/** C0 and C1 controls, DEL, and the invisible characters that reorder or break lines on a terminal. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same, less the C0 controls JSON.stringify escapes itself. */
const UNPRINTABLE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const unicodeEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Text as one terminal line: every control character escaped as JSON.stringify writes it (\n, \u001b). */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => (c < ' ' ? JSON.stringify(c).slice(1, -1) : unicodeEscape(c)));
}

/** Text given as one line (a string) or as lines (an array), each made printable, joined by newlines. */
export function printableLines(text: string | readonly string[]): string {
  return (typeof text === 'string' ? [text] : text).map(printable).join('\n');
}

/** JSON text with DEL, C1 and bidi controls escaped too (JSON.stringify escapes only C0); still valid JSON. */
export function terminalSafeJson(json: string): string {
  return json.replace(UNPRINTABLE_IN_JSON, unicodeEscape);
}
