// The query API client (SPEC §6). A read token given once as ?token=… is kept
// in sessionStorage (gone when the tab closes) and sent as a Bearer header.

const TOKEN_KEY = "meshslo.readToken";

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export function adoptTokenFromUrl() {
  const url = new URL(window.location.href);
  const token = url.searchParams.get("token");
  if (token === null) return;
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  // Keep the token out of the address bar, history and shared links.
  url.searchParams.delete("token");
  window.history.replaceState(null, "", url.pathname + url.search + url.hash);
}

function describeFailure(status, body) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((item) => `${(item.loc || []).join(".")}: ${item.msg}`).join("; ");
  }
  return `HTTP ${status}`;
}

// Paths are relative ("api/v2/…"): behind a reverse proxy that serves the master
// under a prefix (https://example.com/slo/), requests stay under that prefix.
export async function getJson(path, params = {}, signal = undefined) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  const headers = { Accept: "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const url = query.toString() ? `${path}?${query}` : path;
  let response;
  try {
    response = await fetch(url, { headers, signal, cache: "no-store" });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError("The master is unreachable (network error).", 0);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.status === 401 || response.status === 403) {
    throw new ApiError(
      "This master requires a read token: open the dashboard with ?token=<read token> in the address.",
      response.status,
    );
  }
  if (!response.ok) throw new ApiError(`${path}: ${describeFailure(response.status, body)}`, response.status);
  if (body === null) throw new ApiError(`${path}: the answer is not JSON`, response.status);
  return body;
}
