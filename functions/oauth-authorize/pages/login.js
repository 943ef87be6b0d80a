// The hosted login page: logs in with a session (the service's own `login`,
// `login/mfa` and `login/passkey` endpoints, same origin), then opens `next`
// (the authorization request that sent the browser here).
"use strict";
(() => {
  const config = JSON.parse(document.getElementById("config").textContent);
  const $ = (id) => document.getElementById(id);
  const error = $("error");
  const done = () => {
    if (config.next) {
      window.location.assign(config.next);
    } else {
      error.textContent = "You are logged in.";
    }
  };
  // A browser with a session already (logging in again) passes Django's
  // CSRF check with the csrftoken cookie's value.
  const csrfToken = () => {
    const found = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
    return found ? found.slice("csrftoken=".length) : "";
  };
  const post = async (url, body) => {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify(body),
    });
    let json = {};
    try { json = await response.json(); } catch (_) { /* no body */ }
    return { ok: response.ok, status: response.status, json };
  };
  const explain = (json) => {
    if (typeof json.detail === "string") return json.detail;
    for (const value of Object.values(json)) {
      if (Array.isArray(value) && typeof value[0] === "string") return value[0];
    }
    return "That did not work. Please try again.";
  };
  let mfaToken = null;
  const answered = (result) => {
    if (result.ok) return done();
    if (result.json.code === "mfa_required") {
      mfaToken = result.json.mfa_token;
      $("login-form").hidden = true;
      $("mfa-form").hidden = false;
      error.textContent = "";
      $("code").focus();
      return;
    }
    error.textContent = explain(result.json);
  };
  const busy = async (button, work) => {
    button.disabled = true;
    try { await work(); } catch (e) { error.textContent = "That did not work. Please try again."; }
    button.disabled = false;
  };
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("login-submit"), async () => answered(await post(config.login, {
      username: $("username").value,
      password: $("password").value,
    })));
  });
  $("mfa-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("mfa-submit"), async () => answered(await post(config.mfa, {
      mfa_token: mfaToken,
      code: $("code").value.trim(),
    })));
  });
  const webauthn = window.PublicKeyCredential
    && typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";
  if (config.passkeys && webauthn) {
    const button = $("passkey-login");
    button.hidden = false;
    button.addEventListener("click", () => busy(button, async () => {
      const options = await post(config.passkey_options, {});
      if (!options.ok) { error.textContent = explain(options.json); return; }
      const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options.json.publicKey);
      const credential = await navigator.credentials.get({ publicKey });
      answered(await post(config.passkey, { credential: credential.toJSON(), login: "session" }));
    }));
  }
})();
