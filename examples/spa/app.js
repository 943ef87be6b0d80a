// The demo frontend: the session flow and the JWT flow of the tutorial's
// frontend, against the API on another origin, and what the API adds (two
// factors, passkeys, self-service accounts). Every request is logged with
// its status and JSON body.
"use strict";

const $ = (id) => document.getElementById(id);
const USERS = "/api/v1/users";
const SKEW = 1; // seconds: refresh this long before `exp`

const params = new URLSearchParams(location.search);

// The API's base URL: `?api=` or the port 9000 of the page's own host.
// Use the same host name for both (localhost or 127.0.0.1): the browser
// shares a host's cookies across ports, which is how this page reads the
// `csrftoken` cookie the API sets.
$("api").value =
  params.get("api") ||
  `http://${location.hostname === "127.0.0.1" ? "127.0.0.1" : "localhost"}:9000`;

// An email's link opened this page: `?verify=<key>` (verification) or
// `?uid=<uid>&token=<token>` (password reset). The key and the token are
// credentials: they go into these variables only (never localStorage,
// never the log), and out of the address bar and the history entry at
// once, before any request, so that neither a reload, a bookmark nor a
// shared screen shows them again.
const verifyKey = params.get("verify");
let resetLink = params.has("uid") || params.has("token")
  ? { uid: params.get("uid") || "", token: params.get("token") || "" }
  : null;
if (verifyKey !== null || resetLink) {
  for (const name of ["verify", "uid", "token"]) params.delete(name);
  const query = params.toString();
  history.replaceState(history.state, "", location.pathname + (query ? `?${query}` : "") + location.hash);
}

// The JWT access token: in this variable only, never in localStorage, where
// any script on the page could take it for good.
let access = null;
// The refresh in flight, shared by calls that find the token expired at once.
let refreshing = null;
// A login waiting for its second factor: its `mfa_token` and which flow it
// was ("session" or "jwt"). In this variable only, like the access token.
let waiting = null;
// Who the session cookie logs in, as far as this page saw (null: nobody).
let sessionUser = null;
// The address of the last sign-up from this page, for "resend the email".
let signedUpEmail = "";

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
  const { username } = credentials();
  const r = await call("session login", "POST", "/login", { body: credentials() });
  awaitCode(r, "session");
  if (r.status === 200) sessionUser = username;
  loginOutcome(r, "session", username);
}

async function sessionWhoami() {
  const r = await call("who am I (session)", "GET", "/login/jwt/info");
  if (r.status === 200) sessionUser = r.data.username;
  if (r.status === 401) sessionUser = null;
}

async function sessionLogout() {
  const r = await call("session logout", "POST", "/logout");
  if (r.status === 200) sessionUser = null;
}

// --- JWT -----------------------------------------------------------------

function claims(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part));
}

async function jwtLogin() {
  // The refresh token comes back in an HttpOnly cookie, the body is {"access"}.
  const { username } = credentials();
  const r = await call("obtain tokens", "POST", "/login/simpleJWT", { body: credentials() });
  access = r.status === 200 ? r.data.access : null;
  awaitCode(r, "jwt");
  loginOutcome(r, "JWT", username);
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

// --- self-service accounts -----------------------------------------------

// What the API's field names are called on this page.
const FIELD_NAMES = {
  username: "username",
  email: "e-mail",
  password1: "password",
  password2: "password again",
  new_password1: "new password",
  new_password2: "new password again",
  key: "verification link",
  first_name: "first name",
  last_name: "last name",
  password: "password",
  uid: "reset link",
  token: "reset link",
  non_field_errors: "",
};

// Shows a message in a status region: `kind` "ok", "fail" or "busy";
// each line a paragraph, or a list of lines. Text only, never HTML: the
// API's messages may repeat what was typed.
function say(id, kind, ...lines) {
  const region = $(id);
  region.className = `status ${kind}`;
  region.dataset.state = kind;
  region.replaceChildren(
    ...lines.map((line) => {
      if (!Array.isArray(line)) return Object.assign(document.createElement("p"), { textContent: line });
      const list = document.createElement("ul");
      list.append(...line.map((item) => Object.assign(document.createElement("li"), { textContent: item })));
      return list;
    }),
  );
}

// An answer that is not a success, in words: DRF's field errors (each
// field's input, in `inputs`, marked invalid), its `detail`, or the status.
function trouble(r, inputs = {}) {
  for (const input of Object.values(inputs)) $(input).removeAttribute("aria-invalid");
  if (r.status === 0) return ["No answer from the API (see the log below)."];
  if (r.status === 400 && r.data && typeof r.data === "object") {
    const lines = [];
    for (const [field, errors] of Object.entries(r.data)) {
      if (inputs[field]) $(inputs[field]).setAttribute("aria-invalid", "true");
      const name = FIELD_NAMES[field] ?? field;
      for (const error of [].concat(errors)) lines.push(name ? `${name}: ${error}` : String(error));
    }
    return ["Please correct the following:", lines];
  }
  if (r.status === 503) return ["The service is unavailable for a moment: try again."];
  const detail = r.data && typeof r.data === "object" && r.data.detail;
  return [detail ? `${detail} (${r.status})` : `The API answered ${r.status}.`];
}

const clearInvalid = (inputs) => Object.values(inputs).forEach((id) => $(id).removeAttribute("aria-invalid"));

// Tells how a login (either flow) went; an address not yet verified gets
// its own notice, with a way to have the email sent again.
function loginOutcome(r, flow, username) {
  const unverified = r.status === 403 && r.data && r.data.code === "email_not_verified";
  $("unverified").hidden = !unverified;
  if (unverified) {
    if (!$("resend-email").value) $("resend-email").value = signedUpEmail;
    $("resend-status").replaceChildren();
    $("login-status").replaceChildren();
    $("login-status").className = "status";
    return;
  }
  if (r.status === 200) return say("login-status", "ok", `Logged in as ${username} (${flow}).`);
  if (r.status === 401 && r.data && r.data.code === "mfa_required") {
    return say("login-status", "busy", "Two-factor code required: enter it under Two-factor authentication.");
  }
  // The session login's refusal is an empty 403; obtain's a 401 with a detail.
  if (r.status === 403 && typeof r.data === "string") {
    return say("login-status", "fail", "Log in refused: wrong username or password.");
  }
  say("login-status", "fail", "Log in refused:", ...trouble(r));
}

const SIGNUP_INPUTS = {
  username: "signup-username",
  email: "signup-email",
  password1: "signup-password1",
  password2: "signup-password2",
};

async function signUp() {
  const body = {
    username: $("signup-username").value,
    email: $("signup-email").value,
    password1: $("signup-password1").value,
    password2: $("signup-password2").value,
  };
  say("signup-status", "busy", "Signing up…");
  const r = await call("sign up", "POST", "/registration", { body });
  if (r.status !== 201) return say("signup-status", "fail", ...trouble(r, SIGNUP_INPUTS));
  clearInvalid(SIGNUP_INPUTS);
  $("signup-password1").value = $("signup-password2").value = "";
  $("signup-status").replaceChildren();
  $("signup-status").className = "status";
  if (r.data && r.data.access) {
    // ACCOUNT_EMAIL_VERIFICATION=none: no email, the new user is logged in.
    access = r.data.access;
    return say("signup-status", "ok", `Signed up and logged in as ${body.username} (JWT).`);
  }
  // The "check your email" state, instead of the form.
  signedUpEmail = body.email.trim();
  $("sent-to").textContent = signedUpEmail;
  $("signup-form").hidden = true;
  $("check-email").hidden = false;
  $("signup-resend-status").replaceChildren();
  $("check-email-heading").focus();
}

function signUpAgain() {
  $("check-email").hidden = true;
  $("signup-form").hidden = false;
  $("signup-username").focus();
}

// A new verification link, if an account waits for this address.
async function resend(email, status, inputs) {
  say(status, "busy", "Sending…");
  const r = await call("resend the email", "POST", "/registration/resend-email", { body: { email } });
  if (r.status !== 200) return say(status, "fail", ...trouble(r, inputs));
  clearInvalid(inputs);
  say(status, "ok", `If an account waits for ${email.trim()} to be verified, a new link is on its way.`,
    "At most one email a minute goes to an address: if nothing comes, try again in a minute.");
}

// The landing of a verification link: posts its key once.
async function verifyEmail() {
  $("verify-section").hidden = false;
  say("verify-status", "busy", "Verifying your e-mail address…");
  const r = await call("verify e-mail", "POST", "/registration/verify-email", { body: { key: verifyKey } });
  if (r.status === 200) {
    say("verify-status", "ok", "Your e-mail address is verified.",
      "You can log in now: with your username and password, or with your passkey if you signed up with one.");
    $("verify-login").hidden = false;
  } else if (r.status === 404) {
    say("verify-status", "fail", "This verification link is not valid: it was already used, it has expired, or it was not copied whole.",
      "If your address is verified already, just log in. Otherwise log in (which sends a new link) or have the email sent again:");
    $("verify-resend-form").hidden = false;
  } else {
    say("verify-status", "fail", ...trouble(r));
  }
  $("verify-heading").focus();
}

// After verifying: the login fields above.
function goToLogin() {
  $("username").focus();
  $("username").scrollIntoView({ block: "center" });
}

async function forgotPassword() {
  const email = $("forgot-email").value;
  say("forgot-status", "busy", "Sending…");
  const r = await call("forgot password", "POST", "/password/reset", { body: { email } });
  if (r.status !== 200) return say("forgot-status", "fail", ...trouble(r, { email: "forgot-email" }));
  clearInvalid({ email: "forgot-email" });
  say("forgot-status", "ok", `If an account has the address ${email.trim()}, a link to choose a new password is on its way.`,
    "Check your email, and open the link in this browser.");
}

const RESET_INPUTS = { new_password1: "new-password1", new_password2: "new-password2" };

// The landing of a reset link: the form is shown; this posts the link's
// uid and token with the new password.
async function confirmReset() {
  if (!resetLink) return say("reset-status", "fail", "No reset link: open the link of the reset email.");
  const body = {
    uid: resetLink.uid,
    token: resetLink.token,
    new_password1: $("new-password1").value,
    new_password2: $("new-password2").value,
  };
  say("reset-status", "busy", "Setting the new password…");
  const r = await call("set a new password", "POST", "/password/reset/confirm", { body });
  const deadLink = r.status === 400 && r.data && (r.data.token || r.data.uid);
  if (r.status === 200 || deadLink) {
    // Used (or useless): forget it, and the passwords typed.
    resetLink = null;
    $("new-password1").value = $("new-password2").value = "";
    $("reset-form").hidden = true;
  }
  if (r.status === 200) {
    clearInvalid(RESET_INPUTS);
    say("reset-status", "ok", "Your password has been reset.",
      "Every session and token of your account has ended: log in with the new password.");
    $("reset-login").hidden = false;
  } else if (deadLink) {
    clearInvalid(RESET_INPUTS);
    say("reset-status", "fail", "This reset link is not valid: it was already used, a newer one was asked for, you logged in since, or it has expired.",
      "Ask for a new one under \u201cForgot your password?\u201d below.");
  } else {
    say("reset-status", "fail", ...trouble(r, RESET_INPUTS));
  }
}

// --- your account ----------------------------------------------------------

// A call as whoever this page is logged in as: the access token if it has
// one, else the session cookie (with the CSRF header, as `call` adds).
const asCallerAt = (label, method, path, body) =>
  access ? withAccess(label, method, path, body) : call(label, method, path, { body });
const asCaller = (label, method, body) => asCallerAt(label, method, "/user", body);

const PROFILE_INPUTS = { first_name: "profile-first-name", last_name: "profile-last-name", email: "profile-email" };

function showProfile(profile) {
  $("profile-first-name").value = profile.first_name;
  $("profile-last-name").value = profile.last_name;
  $("profile-email").value = profile.email;
  $("profile-form").dataset.email = profile.email;
}

async function loadProfile() {
  const r = await asCaller("my account", "GET");
  if (r.status !== 200) return say("profile-status", "fail", ...trouble(r));
  showProfile(r.data);
  say("profile-status", "ok", `Logged in as ${r.data.username} (user ${r.data.pk}).`);
}

async function saveProfile() {
  const body = { first_name: $("profile-first-name").value, last_name: $("profile-last-name").value };
  const email = $("profile-email").value.trim();
  const asked = email.toLowerCase() !== ($("profile-form").dataset.email || "").toLowerCase();
  if (asked) body.email = email;
  say("profile-status", "busy", "Saving…");
  const r = await asCaller("save my account", "PATCH", body);
  if (r.status !== 200) return say("profile-status", "fail", ...trouble(r, PROFILE_INPUTS));
  clearInvalid(PROFILE_INPUTS);
  showProfile(r.data);
  const moved = r.data.email.toLowerCase() === email.toLowerCase();
  say("profile-status", "ok", "Saved.",
    ...(asked && !moved ? [`To make ${email} your address, open the link we sent to it. Until then your address stays ${r.data.email}.`] : []));
}

async function deleteAccount() {
  const password = $("delete-password").value;
  say("delete-status", "busy", "Deleting…");
  const r = await asCaller("delete my account", "DELETE", { password });
  $("delete-password").value = "";
  if (r.status !== 204) return say("delete-status", "fail", ...trouble(r, { password: "delete-password" }));
  clearInvalid({ password: "delete-password" });
  access = null;
  sessionUser = null;
  showProfile({ first_name: "", last_name: "", email: "" });
  $("profile-status").replaceChildren();
  say("delete-status", "ok", "Your account is deleted. Every session and token of it has ended.");
}

// What the page was opened for.
function landing() {
  // Opened from an email: the demo's credentials (alice's) are not the reader's.
  if (verifyKey !== null || resetLink) $("username").value = $("password").value = "";
  if (verifyKey !== null) return verifyEmail;
  if (resetLink) {
    $("reset-section").hidden = false;
    if (!resetLink.uid || !resetLink.token) {
      resetLink = null;
      $("reset-form").hidden = true;
      say("reset-status", "fail", "This reset link is incomplete: open the whole link of the reset email.");
    }
    $("reset-heading").focus();
  }
  return null;
}

// --- passkeys (WebAuthn) ---------------------------------------------------

// The API speaks WebAuthn's JSON forms; the browser turns them into its
// objects and back: PublicKeyCredential.parseCreationOptionsFromJSON /
// parseRequestOptionsFromJSON, navigator.credentials.create / get, and
// credential.toJSON(). Nothing else: no library, no base64 by hand.
const canPasskey = () =>
  window.isSecureContext &&
  typeof window.PublicKeyCredential === "function" &&
  typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
  typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function" &&
  !!navigator.credentials;

const NO_WEBAUTHN = [
  "This browser cannot use passkeys on this page.",
  "Passkeys need WebAuthn with its JSON helpers (a recent Chrome, Edge, Firefox or Safari) " +
    "and a secure page (https, or http://localhost).",
];

// Why the browser's side of a ceremony (create or get) failed, in words.
function ceremonyTrouble(err) {
  const name = err && err.name;
  if (name === "NotAllowedError") {
    return ["No passkey was used: the prompt was cancelled or timed out, " +
      "your authenticator did not verify you, or it holds no passkey for this site."];
  }
  if (name === "InvalidStateError") return ["This authenticator already holds one of your passkeys."];
  if (name === "SecurityError") {
    return ["The browser refused: this page's address is not on the passkeys' site " +
      "(the API's WEBAUTHN_RP_ID). Open the page at http://localhost, not 127.0.0.1."];
  }
  if (name === "NotSupportedError") return ["This authenticator cannot make the kind of passkey asked for."];
  return [`The browser refused: ${err}`];
}

// The browser's half of a ceremony: `publicKey` as the API sent it, made
// into the browser's objects, and the credential back as JSON
// (credential.toJSON()). `how` is "create" (a new passkey) or "get" (an
// assertion). Null once `status` says why there is none.
async function browserCredential(how, publicKey, status) {
  try {
    const credential = how === "create"
      ? await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(publicKey) })
      : await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(publicKey) });
    return credential.toJSON();
  } catch (err) {
    log("passkey (the browser)", "-", String(err));
    say(status, "fail", ...ceremonyTrouble(err));
    return null;
  }
}

// A passkey login of either flow: the options (the same for everyone),
// the browser's assertion, then `login/passkey` with `login` naming the
// login it completes, "session" or "simpleJWT" (the JWT flow's: the
// access token in the body, the refresh token in its cookie). A passkey
// is both factors: no code follows. No username is typed, so "who am I"
// tells whom it logged in.
async function passkeyLogin(flow) {
  const login = flow === "session" ? "session" : "simpleJWT";
  const label = flow === "session" ? "session" : "JWT";
  $("unverified").hidden = true;
  if (!canPasskey()) return say("login-status", "fail", ...NO_WEBAUTHN);
  say("login-status", "busy", "Choose a passkey in your browser's prompt…");
  const o = await call("passkey login options", "POST", "/login/passkey/options", { body: {} });
  if (o.status === 404) return say("login-status", "fail", "Log in refused: passkeys are off on this API.");
  if (o.status !== 200) return say("login-status", "fail", "Log in refused:", ...trouble(o));
  const credential = await browserCredential("get", o.data.publicKey, "login-status");
  if (!credential) return;
  const body = { credential, login };
  const r = await call(`passkey login (${label})`, "POST", "/login/passkey", { body });
  if (flow === "jwt") access = r.status === 200 ? r.data.access : null;
  if (r.status === 400 && r.data && r.data.credential) {
    return say("login-status", "fail", "Log in refused: the API did not accept this passkey.",
      "It may have been removed from its account, or your authenticator did not verify you " +
      "(PIN, fingerprint or face).");
  }
  if (r.status === 404) return say("login-status", "fail", "Log in refused: logging in with a passkey is off on this API.");
  if (r.status !== 200) return loginOutcome(r, label, "");
  waiting = null;
  let username = "you";
  if (flow === "session") {
    const me = await call("who am I (session)", "GET", "/login/jwt/info");
    if (me.status === 200) username = sessionUser = me.data.username;
  } else {
    const me = await withAccess("who am I (Bearer)", "GET", "/login/jwt/info");
    if (me && me.status === 200) username = me.data.username;
  }
  loginOutcome(r, `${label}, with a passkey`, username);
}

// Adding or removing a passkey asks who is there again (re-authentication):
// the password typed, or, with the password left empty, one of the caller's
// own passkeys. That is how an account made by "Sign up with a passkey" (it
// has no password) confirms. The passkey's way: the login's options (the
// same for everyone), the browser's assertion, and the body
// {"credential": credential.toJSON()} instead of {"password"}. Returns that
// body, or null once `status` says why there is none.
async function reauthentication(password, status) {
  if (password) return { password };
  if (!canPasskey()) {
    say(status, "fail", "Type your password: this browser cannot confirm with a passkey.");
    return null;
  }
  say(status, "busy", "No password: confirm with your passkey in your browser's prompt…");
  const o = await call("confirm with a passkey (options)", "POST", "/login/passkey/options", { body: {} });
  if (o.status === 404) {
    say(status, "fail", "Confirming with a passkey is off on this API: type your password.");
    return null;
  }
  if (o.status !== 200) {
    say(status, "fail", ...trouble(o));
    return null;
  }
  const credential = await browserCredential("get", o.data.publicKey, status);
  return credential && { credential };
}

// The API refused the passkey that was to confirm a change.
const refusedConfirmation = (r) => r.status === 400 && r.data && r.data.credential;
const CONFIRMATION_REFUSED = [
  "The API did not accept the passkey you confirmed with.",
  "Confirm with one of this account's own passkeys, or type your password.",
];

const PASSKEY_ADD_INPUTS = { password: "passkey-password", name: "passkey-name" };

// A new passkey: the password again, or an existing passkey
// (re-authentication), the browser makes the credential, the API checks
// and keeps it.
async function addPasskey() {
  if (!canPasskey()) return say("passkey-add-status", "fail", ...NO_WEBAUTHN);
  const password = $("passkey-password").value;
  $("passkey-password").value = "";
  if (password) say("passkey-add-status", "busy", "Checking your password…");
  const proof = await reauthentication(password, "passkey-add-status");
  if (!proof) return;
  const o = await asCallerAt("passkey options", "POST", "/passkeys/register/options", proof);
  if (!o) return say("passkey-add-status", "fail", "Log in first (session or JWT).");
  if (o.status === 404) return say("passkey-add-status", "fail", "Passkeys are off on this API.");
  if (refusedConfirmation(o)) return say("passkey-add-status", "fail", ...CONFIRMATION_REFUSED);
  if (o.status !== 200) return say("passkey-add-status", "fail", ...trouble(o, PASSKEY_ADD_INPUTS));
  clearInvalid(PASSKEY_ADD_INPUTS);
  say("passkey-add-status", "busy", "Create the passkey in your browser's prompt…");
  const credential = await browserCredential("create", o.data.publicKey, "passkey-add-status");
  if (!credential) return;
  const body = { credential, name: $("passkey-name").value };
  const r = await asCallerAt("add a passkey", "POST", "/passkeys/register", body);
  if (!r) return say("passkey-add-status", "fail", "Log in first (session or JWT).");
  if (r.status !== 201) return say("passkey-add-status", "fail", ...trouble(r, PASSKEY_ADD_INPUTS));
  $("passkey-name").value = "";
  say("passkey-add-status", "ok", `Passkey \u201c${r.data.name}\u201d added: it logs you in without a password.`);
  await listPasskeys();
}

const PASSKEY_SIGNUP_INPUTS = {
  username: "passkey-signup-username",
  email: "passkey-signup-email",
  name: "passkey-signup-name",
};

// A new account with a passkey instead of a password: the API checks the
// username and the address (options), the browser makes the passkey, the
// API checks it and creates the account holding it. It answers as "Sign
// up" does: a verification email (or, with ACCOUNT_EMAIL_VERIFICATION=none,
// the new user's tokens); then the passkey logs in.
async function passkeySignUp() {
  if (!canPasskey()) return say("passkey-signup-status", "fail", ...NO_WEBAUTHN);
  const applicant = { username: $("passkey-signup-username").value, email: $("passkey-signup-email").value };
  say("passkey-signup-status", "busy", "Signing up…");
  const o = await call("passkey sign-up options", "POST", "/registration/passkey/options", { body: applicant });
  if (o.status === 404) return say("passkey-signup-status", "fail", "Signing up with a passkey is off on this API.");
  if (o.status !== 200) return say("passkey-signup-status", "fail", ...trouble(o, PASSKEY_SIGNUP_INPUTS));
  clearInvalid(PASSKEY_SIGNUP_INPUTS);
  say("passkey-signup-status", "busy", "Create the passkey in your browser's prompt…");
  const credential = await browserCredential("create", o.data.publicKey, "passkey-signup-status");
  if (!credential) return;
  const body = { credential, name: $("passkey-signup-name").value };
  const r = await call("sign up with a passkey", "POST", "/registration/passkey", { body });
  if (r.status === 400 && r.data && r.data.credential) {
    return say("passkey-signup-status", "fail", "Sign-up refused: the API did not accept this passkey.",
      "Your authenticator may not have verified you (PIN, fingerprint or face), " +
      "or more than five minutes went by: sign up again.");
  }
  if (r.status !== 201) return say("passkey-signup-status", "fail", ...trouble(r, PASSKEY_SIGNUP_INPUTS));
  clearInvalid(PASSKEY_SIGNUP_INPUTS);
  $("passkey-signup-name").value = "";
  if (r.data && r.data.access) {
    // ACCOUNT_EMAIL_VERIFICATION=none: no email, the new user is logged in.
    access = r.data.access;
    return say("passkey-signup-status", "ok", `Signed up and logged in as ${applicant.username.trim()} (JWT).`);
  }
  signedUpEmail = applicant.email.trim();
  say("passkey-signup-status", "ok", `Check your email: we sent a link to ${signedUpEmail}.`,
    "Open it to verify your address, then log in with your passkey (\u201cLog in with a passkey\u201d above).");
}

const when = (iso) => (iso ? new Date(iso).toLocaleString() : "never");

// The caller's passkeys, each with a Remove button that asks for the
// password (or, left empty, a passkey) first.
async function listPasskeys() {
  const r = await asCallerAt("my passkeys", "GET", "/passkeys");
  const list = $("passkey-list");
  if (!r || r.status !== 200) {
    list.replaceChildren();
    $("passkeys-empty").hidden = true;
    if (!r) return say("passkeys-status", "fail", "Log in first (session or JWT).");
    if (r.status === 404) return say("passkeys-status", "fail", "Passkeys are off on this API.");
    return say("passkeys-status", "fail", ...trouble(r));
  }
  $("passkeys-status").replaceChildren();
  $("passkeys-status").className = "status";
  $("passkeys-empty").hidden = r.data.length > 0;
  list.replaceChildren(...r.data.map(passkeyItem));
}

function passkeyItem(passkey, i) {
  const item = document.createElement("li");
  item.dataset.id = passkey.id;
  const name = Object.assign(document.createElement("strong"), { className: "passkey-name", textContent: passkey.name });
  const about = document.createElement("span");
  about.textContent = ` \u2014 added ${when(passkey.created)}, last used ${when(passkey.last_used)}` +
    (passkey.backed_up ? ", synced" : "");
  const remove = Object.assign(document.createElement("button"), {
    type: "button",
    className: "passkey-remove",
    textContent: "Remove",
  });
  remove.setAttribute("aria-label", `Remove ${passkey.name}`);
  remove.setAttribute("aria-expanded", "false");
  remove.setAttribute("aria-controls", `passkey-remove-form-${i}`);

  // Removing asks for the password again (or, left empty, a passkey): a
  // form, shown by Remove.
  const form = Object.assign(document.createElement("form"), {
    id: `passkey-remove-form-${i}`,
    className: "passkey-remove-form",
    noValidate: true,
    hidden: true,
  });
  const label = document.createElement("label");
  const password = Object.assign(document.createElement("input"), {
    id: `passkey-remove-password-${i}`,
    type: "password",
    autocomplete: "current-password",
  });
  const hint = Object.assign(document.createElement("p"), {
    id: `passkey-remove-hint-${i}`,
    className: "hint",
    textContent: "No password (signed up with a passkey)? Leave it empty to confirm with your passkey.",
  });
  password.setAttribute("aria-describedby", hint.id);
  label.append(`password to remove \u201c${passkey.name}\u201d `, password);
  const confirm = Object.assign(document.createElement("button"), { className: "passkey-remove-confirm", textContent: "Remove for good" });
  const cancel = Object.assign(document.createElement("button"), { type: "button", textContent: "Cancel" });
  form.append(label, confirm, cancel, hint);

  const toggle = (open) => {
    form.hidden = !open;
    remove.setAttribute("aria-expanded", String(open));
    password.value = "";
    password.removeAttribute("aria-invalid");
    (open ? password : remove).focus();
  };
  remove.addEventListener("click", () => toggle(form.hidden));
  cancel.addEventListener("click", () => toggle(false));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run("passkey-remove", () => removePasskey(passkey, password), [confirm, cancel]);
  });
  item.append(name, about, " ", remove, form);
  return item;
}

async function removePasskey(passkey, password) {
  const path = `/passkeys/${encodeURIComponent(passkey.id)}`;
  const typed = password.value;
  password.value = "";
  const proof = await reauthentication(typed, "passkeys-status");
  if (!proof) return password.focus();
  say("passkeys-status", "busy", "Removing…");
  const r = await asCallerAt("remove a passkey", "DELETE", path, proof);
  if (!r) return say("passkeys-status", "fail", "Log in first (session or JWT).");
  if (refusedConfirmation(r)) {
    say("passkeys-status", "fail", ...CONFIRMATION_REFUSED);
    return password.focus();
  }
  if (r.status !== 204) {
    say("passkeys-status", "fail", ...trouble(r, { password: password.id }));
    return password.focus();
  }
  await listPasskeys();
  say("passkeys-status", "ok", `Passkey \u201c${passkey.name}\u201d removed: it no longer logs you in.`);
  $("passkeys-load").focus();
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
  $("session").textContent = sessionUser ? `logged in as ${sessionUser}` : "not logged in (as far as this page knows)";
  $("cookies").textContent = document.cookie || "(none readable)";
}

// Each button runs its action; body[data-done] counts finished actions.
const actions = {
  "session-login": sessionLogin,
  "session-whoami": sessionWhoami,
  "session-logout": sessionLogout,
  "session-passkey": () => passkeyLogin("session"),
  "jwt-login": jwtLogin,
  "jwt-passkey": () => passkeyLogin("jwt"),
  "jwt-whoami": jwtWhoami,
  "jwt-refresh": () => refresh("asked for"),
  "jwt-logout": jwtLogout,
  "mfa-code": sendCode,
  "mfa-enrol": enrol,
  "mfa-confirm": confirmTotp,
  "profile-load": loadProfile,
  "passkeys-load": listPasskeys,
};
// Each form, submitted (its button, or Enter in a field), runs its action;
// the page checks nothing itself (`novalidate`): the API's errors show.
const forms = {
  "signup-form": signUp,
  "signup-resend-form": () => resend(signedUpEmail, "signup-resend-status", {}),
  "resend-form": () => resend($("resend-email").value, "resend-status", { email: "resend-email" }),
  "verify-resend-form": () =>
    resend($("verify-resend-email").value, "verify-status", { email: "verify-resend-email" }),
  "forgot-form": forgotPassword,
  "reset-form": confirmReset,
  "profile-form": saveProfile,
  "delete-form": deleteAccount,
  "passkey-add-form": addPasskey,
  "passkey-signup-form": passkeySignUp,
};
let done = 0;
async function run(id, action, buttons = []) {
  buttons.forEach((b) => (b.disabled = true));
  try {
    await action();
  } catch (err) {
    log(id, "-", String(err));
  } finally {
    buttons.forEach((b) => (b.disabled = false));
    document.body.dataset.done = ++done;
    showState();
  }
}
for (const [id, action] of Object.entries(actions)) {
  $(id).addEventListener("click", () => run(id, action));
}
for (const [id, action] of Object.entries(forms)) {
  $(id).addEventListener("submit", (event) => {
    event.preventDefault();
    run(id, action, [...event.target.querySelectorAll("button")]);
  });
}
$("signup-again").addEventListener("click", signUpAgain);
$("verify-login").addEventListener("click", goToLogin);
$("reset-login").addEventListener("click", goToLogin);
$("clear").addEventListener("click", () => $("log").replaceChildren());
$("passkeys-unsupported").hidden = canPasskey();
showState();
setInterval(showState, 1000);
const landed = landing();
if (landed) run("landing", landed);
