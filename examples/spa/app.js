// The demo frontend: the session flow and the JWT flow of the tutorial's
// frontend, against the API on another origin. Every request is logged with
// its status and JSON body.
"use strict";

const $ = (id) => document.getElementById(id);
const USERS = "/api/v1/users";
const SKEW = 1; // seconds: refresh this long before `exp`

// The API's base URL: `?api=` or the port 9000 of the page's own host.
// Use the same host name for both (localhost or 127.0.0.1): the browser
// shares a host's cookies across ports, which is how this page reads the
// `csrftoken` cookie the API sets.
$("api").value =
  new URLSearchParams(location.search).get("api") ||
  `http://${location.hostname === "127.0.0.1" ? "127.0.0.1" : "localhost"}:9000`;

// The JWT access token: in this variable only, never in localStorage, where
// any script on the page could take it for good.
let access = null;
// The refresh in flight, shared by calls that find the token expired at once.
let refreshing = null;
// A login waiting for its second factor: its `mfa_token` and which flow it
// was ("session" or "jwt"). In this variable only, like the access token.
let waiting = null;

function cookie(name) {
  const found = document.cookie
    .split(";")
    .map((c) => c.trim())
    .find((c) => c.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : null;
}

// One request to the API; logs and returns {status, data}. Cookies go along
// (`credentials: "include"`) unless `credentials` says otherwise.
async function call(label, method, path, { body, bearer, credentials = "include" } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  // Django's CSRF check: unsafe requests repeat the csrftoken cookie.
  const csrf = cookie("csrftoken");
  if (method !== "GET" && csrf) headers["X-CSRFToken"] = csrf;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let status, data;
  try {
    const resp = await fetch($("api").value.replace(/\/+$/, "") + USERS + path, {
      method,
      headers,
      credentials,
      body: body === undefined ? undefined : JSON.stringify(body),
      // A 401 with `WWW-Authenticate: Basic` would wait on the browser's
      // login dialog (the API leaves it out for allowed origins).
      signal: AbortSignal.timeout(10000),
    });
    status = resp.status;
    const text = await resp.text();
    try {
      data = text ? JSON.parse(text) : "(empty body)";
    } catch {
      data = text;
    }
  } catch (err) {
    // No answer the page may read: network down, refused by CORS, or none in 10 s.
    status = 0;
    data = String(err);
  }
  log(`${label}: ${method} ${path}`, status, data);
  return { status, data };
}

// --- session -------------------------------------------------------------

const credentials = () => ({ username: $("username").value, password: $("password").value });

async function sessionLogin() {
  const r = await call("session login", "POST", "/login", { body: credentials() });
  awaitCode(r, "session");
}
const sessionWhoami = () => call("who am I (session)", "GET", "/login/jwt/info");
const sessionLogout = () => call("session logout", "POST", "/logout");

// --- JWT -----------------------------------------------------------------

function claims(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part));
}

async function jwtLogin() {
  // The refresh token comes back in an HttpOnly cookie, the body is {"access"}.
  const r = await call("obtain tokens", "POST", "/login/simpleJWT", { body: credentials() });
  access = r.status === 200 ? r.data.access : null;
  awaitCode(r, "jwt");
}

// Refreshes the access token with the refresh cookie; null if that failed.
function refresh(reason) {
  refreshing ??= call(`refresh (${reason})`, "POST", "/login/simpleJWT/refresh", { body: {} })
    .then((r) => (access = r.status === 200 ? r.data.access : null))
    .finally(() => (refreshing = null));
  return refreshing;
}

// A call authenticated by the access token alone (no cookies, so a session
// cannot stand in for it), refreshing first when its `exp` has passed, and
// refreshing and retrying once after a 401.
async function withAccess(label, method, path, body) {
  if (access && $("check-exp").checked && claims(access).exp <= Date.now() / 1000 + SKEW) {
    await refresh("the access token's exp has passed");
  }
  if (!access) return log(label, "-", "no access token: obtain tokens first");
  const r = await call(label, method, path, { body, bearer: access, credentials: "omit" });
  if (r.status !== 401 || !(await refresh("the API answered 401"))) return r;
  return call(`${label}, retried`, method, path, { body, bearer: access, credentials: "omit" });
}

const jwtWhoami = () => withAccess("who am I (Bearer)", "GET", "/login/jwt/info");

async function jwtLogout() {
  // Blacklists the refresh token in the cookie and deletes the cookie. The
  // access token stays valid until its exp: forget it.
  await call("log out (blacklist)", "POST", "/login/simpleJWT/blacklist", { body: {} });
  access = null;
}

// --- two-factor authentication -------------------------------------------

// After a login: keeps its `mfa_token` when the API asks for a second factor.
function awaitCode(r, flow) {
  const asked = r.status === 401 && r.data && r.data.code === "mfa_required";
  waiting = asked ? { token: r.data.mfa_token, flow } : null;
  if (asked) log("two-factor code required", "-", "enter your authenticator's code and send it");
}

// `login/mfa` answers as the login the password was given to.
async function sendCode() {
  if (!waiting) return log("send code", "-", "no login is waiting for a code");
  const body = { mfa_token: waiting.token, code: $("code").value.trim() };
  const r = await call(`two-factor code (${waiting.flow})`, "POST", "/login/mfa", { body });
  if (r.status === 200 && waiting.flow === "jwt") access = r.data.access;
  // Done, or the token is dead (used, expired, too many wrong codes).
  if (r.status !== 400) waiting = null;
}

// A new secret: the QR code as an image (an <img> runs no script).
// Changing a factor asks for the current password again (re-authentication):
// the password field above.
async function enrol() {
  const body = { password: $("password").value };
  const r = await withAccess("set up TOTP", "POST", "/mfa/totp", body);
  if (!r || r.status !== 200) return;
  const img = document.createElement("img");
  img.alt = "QR code of the otpauth:// URL";
  img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(r.data.qr_svg);
  $("qr").replaceChildren(img);
}

// TOTP on: every other session and token ends, and this page's access
// token is renewed in the answer (the refresh token in its cookie).
async function confirmTotp() {
  const body = { password: $("password").value, code: $("code").value.trim() };
  const r = await withAccess("confirm TOTP", "POST", "/mfa/totp/confirm", body);
  if (r && r.status === 200 && r.data.access) access = r.data.access;
}

// --- the page ------------------------------------------------------------

function log(what, status, data) {
  const entry = document.createElement("li");
  entry.dataset.status = status;
  entry.className = status >= 200 && status < 300 ? "ok" : "fail";
  const head = document.createElement("div");
  head.textContent = `${new Date().toLocaleTimeString()}  ${what} → ${status}`;
  const body = document.createElement("pre");
  body.textContent = typeof data === "string" ? data : JSON.stringify(data, null, 2);
  entry.append(head, body);
  $("log").prepend(entry);
}

function showState() {
  if (access) {
    const c = claims(access);
    const left = Math.round(c.exp - Date.now() / 1000);
    $("access").textContent =
      `user_id ${c.user_id}, ` + (left > 0 ? `expires in ${left} s` : "expired");
  } else {
    $("access").textContent = "none";
  }
  $("cookies").textContent = document.cookie || "(none readable)";
}

// Each button runs its action; body[data-done] counts finished actions.
const actions = {
  "session-login": sessionLogin,
  "session-whoami": sessionWhoami,
  "session-logout": sessionLogout,
  "jwt-login": jwtLogin,
  "jwt-whoami": jwtWhoami,
  "jwt-refresh": () => refresh("asked for"),
  "jwt-logout": jwtLogout,
  "mfa-code": sendCode,
  "mfa-enrol": enrol,
  "mfa-confirm": confirmTotp,
};
let done = 0;
for (const [id, action] of Object.entries(actions)) {
  $(id).addEventListener("click", async () => {
    try {
      await action();
    } catch (err) {
      log(id, "-", String(err));
    } finally {
      document.body.dataset.done = ++done;
      showState();
    }
  });
}
$("clear").addEventListener("click", () => $("log").replaceChildren());
showState();
setInterval(showState, 1000);
