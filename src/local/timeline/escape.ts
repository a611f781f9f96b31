/**
 * Escaping for the timeline's HTML: every string that reaches the page
 * (names, reasons, messages, all from the manifest or the run) goes through
 * here, so nothing in a manifest or a pod's output can add markup or script.
 */

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text safe inside an element and inside a quoted attribute value. Control
 * characters other than tab and newline are not allowed in HTML text: they
 * become U+FFFD.
 *
 * @example
 * ```ts
 * escapeHtml('<img src=x onerror="alert(1)">'); // '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
 * ```
 */
export function escapeHtml(text: string): string {
  // eslint-disable-next-line no-control-regex -- the point is to match control characters
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\ufffd');
}
