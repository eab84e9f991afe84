// The JSON API (docs/api.md) and links between the page's views. The token,
// when the server asked for one, travels with every API call and every link.
const token = new URLSearchParams(location.search).get('token');

// GETs `path` with `query`; resolves to the JSON answer, rejects with the
// server's {"error": ...} message.
export async function api(path, query = {}) {
  const params = new URLSearchParams(query);
  if (token) params.set('token', token);
  const text = params.toString();
  const response = await fetch(path + (text ? '?' + text : ''));
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

// The address of a view of this page: {} the sweeps, {sweep: NAME}, {run: ID}.
export function viewUrl(view) {
  const params = new URLSearchParams(view);
  if (token) params.set('token', token);
  const text = params.toString();
  return '/' + (text ? '?' + text : '');
}

// Runs in these states may still log points; others are final.
export function isActive(state) {
  return state === 'starting' || state === 'running';
}
