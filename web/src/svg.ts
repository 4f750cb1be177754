/** A small helper for building SVG and HTML elements from code. */
const SVG = 'http://www.w3.org/2000/svg';

export type Attributes = Record<string, string | number | boolean | null | undefined>;

/** data-* and aria-* attributes keep booleans as "true"/"false"; other booleans are present or absent. */
function setAttributes(element: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined) continue;
    if (name.startsWith('data-') || name.startsWith('aria-')) element.setAttribute(name, String(value));
    else if (value !== false) element.setAttribute(name, value === true ? '' : String(value));
  }
}

/** An SVG element with attributes and children (strings become text nodes). */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Node | string | null)[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  setAttributes(element, attributes);
  for (const child of children) if (child !== null) element.append(child);
  return element;
}

/** An HTML element with attributes and children. */
export function html<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Node | string | null)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  for (const child of children) if (child !== null) element.append(child);
  return element;
}

/** `[4, 7, 20]` */
export const formatShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** A number with a sign and 3 decimals, for value previews. */
export const formatValue = (v: number): string => (v >= 0 ? '+' : '−') + Math.abs(v).toFixed(3);
