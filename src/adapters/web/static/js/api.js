// The query API client (SPEC §6, §10). Tokens given once in the address
// (?token=… for reads, ?admin_token=… for changing objectives) are kept in
// sessionStorage (gone when the tab closes) and sent as Bearer headers.

const TOKEN_KEY = "meshslo.readToken";
const ADMIN_TOKEN_KEY = "meshslo.adminToken";
const TOKEN_PARAMS = { token: TOKEN_KEY, admin_token: ADMIN_TOKEN_KEY };

export class ApiError extends Error {
  constructor(message, status, fields = {}) {
    super(message);
    this.status = status;
    // Validation problems by the field they name (422 from a write): { field: message }.
    this.fields = fields;
  }
}

export function adoptTokenFromUrl() {
  const url = new URL(window.location.href);
  let found = false;
  for (const [param, storageKey] of Object.entries(TOKEN_PARAMS)) {
    const token = url.searchParams.get(param);
    if (token === null) continue;
    found = true;
    if (token) sessionStorage.setItem(storageKey, token);
    else sessionStorage.removeItem(storageKey);
    // Keep the token out of the address bar, history and shared links.
    url.searchParams.delete(param);
  }
  if (found) window.history.replaceState(null, "", url.pathname + url.search + url.hash);
}

// The master accepts the admin token for reads: a page given only that one reads with it.
const readToken = () => sessionStorage.getItem(TOKEN_KEY) || sessionStorage.getItem(ADMIN_TOKEN_KEY);
// With no admin token set on the master, writes need the read token: fall back to it.
const writeToken = () => sessionStorage.getItem(ADMIN_TOKEN_KEY) || sessionStorage.getItem(TOKEN_KEY);

function describeFailure(status, body) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((item) => `${(item.loc || []).join(".")}: ${item.msg}`).join("; ");
  }
  return `HTTP ${status}`;
}

// The master's 422 names the field first ("latency_target must be …", or with a
// colon), several problems joined by "; ". Each part is kept whole under its field.
export function fieldProblems(text) {
  const fields = {};
  for (const part of String(text).split("; ")) {
    const match = /^([a-z][a-z0-9]*_[a-z0-9_]*|window|key)\b:?/.exec(part.trim());
    if (!match) continue;
    fields[match[1]] = fields[match[1]] ? `${fields[match[1]]}; ${part.trim()}` : part.trim();
  }
  return fields;
}

function queryString(params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  return query.toString();
}

async function request(method, path, { params = {}, body, token, signal }) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const query = queryString(params);
  const url = query ? `${path}?${query}` : path;
  let response;
  try {
    response = await fetch(url, {
      method, headers, signal, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError("The master is unreachable (network error).", 0);
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    answer = null;
  }
  return { response, answer };
}

// Paths are relative ("api/v2/…"): behind a reverse proxy that serves the master
// under a prefix (https://example.com/slo/), requests stay under that prefix.
export async function getJson(path, params = {}, signal = undefined) {
  const { response, answer } = await request("GET", path, { params, token: readToken(), signal });
  if (response.status === 401 || response.status === 403) {
    throw new ApiError(
      "This master requires a read token: open the dashboard with ?token=<read token> in the address.",
      response.status,
    );
  }
  if (!response.ok) throw new ApiError(`${path}: ${describeFailure(response.status, answer)}`, response.status);
  if (answer === null) throw new ApiError(`${path}: the answer is not JSON`, response.status);
  return answer;
}

// PUT / DELETE of targets: the admin token when the page has one.
export async function sendJson(method, path, { params = {}, body } = {}) {
  const { response, answer } = await request(method, path, { params, body, token: writeToken() });
  if (response.status === 403) {
    throw new ApiError(
      "The read token cannot change objectives: open the dashboard with ?admin_token=<admin token> in the address.",
      403,
    );
  }
  if (response.status === 401) {
    throw new ApiError(
      "Changing objectives needs the admin token: open the dashboard with ?admin_token=<admin token> in the address.",
      401,
    );
  }
  if (!response.ok) {
    const text = describeFailure(response.status, answer);
    throw new ApiError(text, response.status, response.status === 422 ? fieldProblems(text) : {});
  }
  return answer;
}
