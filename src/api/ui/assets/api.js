// Every call the dashboard makes: the JSON API with `Authorization: Bearer`, and the error
// envelope turned into an ApiError that views show as the API wrote it.

import { session } from './session.js';

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(`${status} ${code}: ${detail}`);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

let onUnauthorized = () => {};

// What to do when the API answers 401 (TASK_012): the token expired or is not valid.
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Authorization: `Bearer ${session.token()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', `the API did not answer (${e.message})`);
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    // Not JSON: reported below with the HTTP status.
  }
  if (!response.ok || !payload || payload.success === false) {
    const envelope = payload?.error ?? {
      code: `HTTP_${response.status}`,
      message: response.statusText || 'unexpected answer',
    };
    const error = new ApiError(response.status, envelope.code, envelope.message);
    if (response.status === 401) onUnauthorized(error);
    throw error;
  }
  return payload;
}

// `a=1&b=2` of the parameters that are set.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  return q.toString();
}
