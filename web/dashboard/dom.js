// Building the page from data. Every value from the database enters the
// document as text (textContent, or an attribute that is not markup), never
// as HTML: a parameter value "<img onerror=...>" is shown, not run.
import {viewUrl} from './api.js';

const SVG = 'http://www.w3.org/2000/svg';

// <tag> with properties (className, title, hidden, ...) and children: nodes,
// or strings and numbers that become text.
export function element(tag, properties = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, properties);
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

// An SVG element with attributes, and `text` as its text content when given.
export function svgElement(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

// A link to a view of the page ({sweep: NAME} or {run: ID}); app.js follows
// it without reloading (data-view).
export function viewLink(view, text) {
  const link = element('a', {href: viewUrl(view)}, text);
  link.dataset.view = '';
  return link;
}

// A value as the page shows it: '' for none, numbers shortened, objects as JSON.
export function show(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function formatNumber(value) {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return Number(value.toPrecision(4)).toExponential();
  return String(Number(value.toPrecision(5)));
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '';
  const s = Math.round(seconds);
  if (s >= 3600) return Math.floor(s / 3600) + 'h' + Math.floor((s % 3600) / 60) + 'm';
  if (s >= 60) return Math.floor(s / 60) + 'm' + (s % 60) + 's';
  return s + 's';
}

// A table of rows (arrays of values or nodes) under a header.
export function table(header, rows, className = '') {
  const head = element('thead', {}, element('tr', {}, ...header.map(name => element('th', {}, name))));
  const body = element('tbody');
  for (const row of rows) {
    body.append(element('tr', {}, ...row.map(value => element('td', {}, value instanceof Node ? value : show(value)))));
  }
  return element('table', {className}, head, body);
}

// <select> options from `names`, keeping the chosen one when it is still offered.
export function setOptions(select, names, preferred) {
  const current = select.value;
  const same = select.options.length === names.length && names.every((name, i) => select.options[i].value === name);
  if (!same) select.replaceChildren(...names.map(name => element('option', {value: name}, name)));
  if (names.includes(current)) select.value = current;
  else if (preferred !== undefined && names.includes(preferred)) select.value = preferred;
}
