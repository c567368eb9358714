/**
 * Badges in the shields.io "flat" look: a grey label and a coloured value, text in Verdana 11 px with a
 * shadow. Widths are estimated from per-character advances of Verdana 11 px (what shields.io measures),
 * so the text fits without a font on the server.
 */

export const BADGE_COLORS = {
  brightgreen: '#4c1',
  green: '#97ca00',
  yellowgreen: '#a4a61d',
  yellow: '#dfb317',
  orange: '#fe7d37',
  red: '#e05d44',
  blue: '#007ec6',
  grey: '#9f9f9f',
} as const;
export type BadgeColor = keyof typeof BADGE_COLORS;

export interface Badge {
  label: string;
  value: string;
  color: BadgeColor;
}

/** Verdana 11 px advances, in pixels, by character class; anything else counts as a wide letter. */
function textWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    if ("il.,:;|!'’".includes(ch)) width += 3.5;
    else if ('fjrt()[]{}/ '.includes(ch)) width += 4.6;
    else if ('mwMW%'.includes(ch)) width += 10.5;
    else if (/[A-Z]/.test(ch)) width += 7.5;
    else width += 6.8;
  }
  return Math.ceil(width);
}

export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (ch) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[ch]};`,
  );
}

/** The SVG document of a badge; every text is XML-escaped. */
export function renderBadge({ label, value, color }: Badge): string {
  const labelWidth = textWidth(label) + 10;
  const valueWidth = textWidth(value) + 10;
  const width = labelWidth + valueWidth;
  const [l, v] = [escapeXml(label), escapeXml(value)];
  // Text is drawn at 10x and scaled down, as shields.io does, for crisper hinting.
  const text = (x: number, content: string, textLength: number) =>
    `<text aria-hidden="true" x="${x * 10}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="${textLength * 10}">${content}</text>` +
    `<text x="${x * 10}" y="140" transform="scale(.1)" fill="#fff" textLength="${textLength * 10}">${content}</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${l}: ${v}">` +
    `<title>${l}: ${v}</title>` +
    `<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>` +
    `<clipPath id="r"><rect width="${width}" height="20" rx="3" fill="#fff"/></clipPath>` +
    `<g clip-path="url(#r)"><rect width="${labelWidth}" height="20" fill="#555"/>` +
    `<rect x="${labelWidth}" width="${valueWidth}" height="20" fill="${BADGE_COLORS[color]}"/>` +
    `<rect width="${width}" height="20" fill="url(#s)"/></g>` +
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">` +
    text(labelWidth / 2, l, labelWidth - 10) +
    text(labelWidth + valueWidth / 2, v, valueWidth - 10) +
    `</g></svg>`
  );
}
