// JSON calls to the server with the browser's session cookies.
// Cookie sessions need the CSRF header on writes; an expired access token is refreshed
// once (one refresh at a time across tabs: a refresh token presented twice revokes the
// whole session).

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.message)) || `The server answered ${status}.`);
    this.status = status;
    this.code = (body && body.code) || null;
    this.body = body || null;
  }
}

/** Thrown when no request reached the server: offline, or the connection dropped. */
export class NetworkError extends Error {
  constructor(cause) {
    super("No connection to the server.");
    this.status = 0;
    this.cause = cause;
  }
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)fs_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function send(path, { method = "GET", body, signal } = {}) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET") {
    // The CSRF cookie is set on the first safe request; make one if this tab has none yet.
    if (!csrfToken()) await fetch("/api/auth/me", { credentials: "same-origin" }).catch(() => {});
    headers["x-csrf-token"] = csrfToken();
  }
  try {
    return await fetch(path, {
      // "include" (same effect on this origin) lets the shell's preload of /api/auth/me be reused.
      method, headers, credentials: "include", cache: "no-store", signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new NetworkError(err);
  }
}

let refreshing = null;

async function refreshOnce() {
  const run = async () => {
    const r = await send("/api/auth/refresh", { method: "POST" });
    return r.ok;
  };
  if (!refreshing) {
    refreshing = (navigator.locks ? navigator.locks.request("fs-auth-refresh", run) : run())
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

async function parse(response) {
  const type = response.headers.get("content-type") || "";
  if (response.status === 204 || !type.includes("json")) return null;
  return response.json().catch(() => null);
}

/** Calls the API; resolves with the parsed body, rejects with ApiError or NetworkError. */
export async function api(path, options = {}) {
  let response = await send(path, options);
  if (response.status === 401 && !path.startsWith("/api/auth/refresh")) {
    if (await refreshOnce()) response = await send(path, options);
  }
  const body = await parse(response);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}
