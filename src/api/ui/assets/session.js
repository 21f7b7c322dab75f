// The token and the workspace. The token comes from the URL fragment (`#token=<jwt>`, which
// browsers never send to the server) or the sign-in form, and lives in this tab's
// sessionStorage. Its claims are decoded here for display only: the API verifies it on every
// call, and decides what it may see.

const KEY = 'taskfleet.token';

export const session = {
  token: () => sessionStorage.getItem(KEY),
  set: (token) => sessionStorage.setItem(KEY, token),
  clear: () => sessionStorage.removeItem(KEY),
};

// Moves `#token=...` into sessionStorage and out of the address bar and the history, so the
// token is not left in a bookmark or a screenshot of the URL.
export function takeFragmentToken() {
  if (!location.hash.startsWith('#token=')) return;
  const token = decodeURIComponent(location.hash.slice('#token='.length)).trim();
  if (token) session.set(token);
  history.replaceState(null, '', location.pathname + location.search + '#/overview');
}

// {sub, workspaces, exp} of a JWT, or null when it is not one.
export function claims(token) {
  try {
    const part = token.split('.')[1];
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const c = JSON.parse(new TextDecoder().decode(bytes));
    return {
      sub: String(c.sub ?? ''),
      workspaces: Array.isArray(c.workspaces) ? c.workspaces.map(String) : [],
      exp: Number(c.exp) || null,
    };
  } catch {
    return null;
  }
}

// `?workspace=<id>` of the page's URL.
export function workspaceParam() {
  return new URLSearchParams(location.search).get('workspace');
}

export function setWorkspaceParam(id) {
  const url = new URL(location.href);
  url.searchParams.set('workspace', id);
  history.replaceState(null, '', url);
}
