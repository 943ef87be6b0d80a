// The OAuth 2.1 / OpenID Connect provider used by a relying party nobody
// here wrote: panva's openid-client, as a confidential web client
// (client_secret_basic), with a real browser (headless Chromium, driven by
// playwright-core) filling the provider's hosted login and consent pages,
// against a running local stack with OAUTH_ENABLED, a private-key ALGORITHM
// and ISSUER. One line `openid-client: ok <step>` per step:
//
//   a. discovery (OpenID Connect metadata, at http on loopback);
//   b. an authorization URL: code, PKCE S256, state, nonce, openid profile email;
//   c. Chromium opens it: the hosted login page (which must forbid framing:
//      CSP frame-ancestors 'none'), username and password, then the consent
//      page (framing forbidden too), "allow": the callback gets code,
//      state and iss;
//   d. the code grant (PKCE verifier, state, nonce, id_token required): the
//      ID token's sub, aud, auth_time and amr ["pwd"], its signature checked
//      again with jose against the JWKS, the access token (RFC 9068) too;
//   e. userinfo for that subject: preferred_username;
//   f. a second authorization in the same browser: no login page and no
//      consent page (the consent is remembered), straight to a code;
//   g. refresh (the first grant's family): new access and refresh tokens;
//      the old refresh token again is invalid_grant, and that reuse revokes
//      the family (its successor is refused too);
//   h. introspection of the second grant's tokens (active, username,
//      client_id, scope); revocation of its refresh token, after which it
//      and its family's access token are inactive;
//   i. prompt=none with the session: a code without any page, redeemed.
//
// The redirect URI's host and port are served by this script itself (a
// few lines of node:http on loopback): Playwright's page.route does not see
// a navigation that a 302 sends elsewhere, and the provider's answers are
// all 302s to the redirect URI.
//
//   node openid_client.mjs --base http://127.0.0.1:9300/api/v1/users \
//     --client-id ID --client-secret SECRET \
//     --redirect-uri http://127.0.0.1:3390/cb \
//     --username alice --password 'correct horse battery staple' \
//     [--alg ES256] [--chromium /usr/bin/chromium] [--artifacts DIR]
//
// --base is the issuer. Its imports (openid-client, jose, playwright-core;
// pinned in package.json and package-lock.json beside it) resolve from the
// folder the script runs from: tests/keys/run.sh installs them into
// .tools/oauth-node/ and runs a copy of this script there. Never downloads
// a browser. Exit code 0 when every step passes; otherwise 1, with what was
// received (and, with --artifacts, a screenshot and the page's HTML).
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as client from 'openid-client';
import * as jose from 'jose';
import { chromium } from 'playwright-core';
import * as OTPAuth from 'otpauth';

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    alg: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    artifacts: { type: 'string' },
    // The partner app of tests/serve.sh (examples/oauth-client/), if any.
    partner: { type: 'string' },
    // A second user, who turns TOTP on for the hosted page's second step.
    'mfa-username': { type: 'string' },
    'mfa-password': { type: 'string' },
  },
});
for (const name of ['base', 'client-id', 'client-secret', 'redirect-uri', 'username', 'password']) {
  if (!args[name]) {
    console.error(`openid-client: --${name} is required`);
    process.exit(2);
  }
}
const issuer = args.base.replace(/\/+$/, '');
const clientId = args['client-id'];
const redirectUri = args['redirect-uri'];
const scope = 'openid profile email';
// A page or a redirect that does not come by then fails the step.
const BROWSER_TIMEOUT_MS = 20_000;

class Failure extends Error {}

/** Fails the current step with what was received. */
function check(condition, what, received) {
  if (!condition) {
    const shown = received === undefined ? '' : `: received ${show(received)}`;
    throw new Failure(`${what}${shown}`);
  }
}

function show(value) {
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value, (_, v) => (v instanceof URL ? v.href : v));
  } catch {
    return String(value);
  }
}

/** What an error from openid-client (oauth4webapi) or the browser says. */
function describe(error) {
  if (error instanceof Failure) return error.message;
  const parts = [`${error.name}: ${error.message}`];
  if (error instanceof client.ResponseBodyError) {
    parts.push(`status ${error.status}`, `error ${error.error}`,
      `error_description ${show(error.error_description)}`, `body ${show(error.cause)}`);
  } else if (error instanceof client.AuthorizationResponseError) {
    parts.push(`error ${error.error}`, `parameters ${show(Object.fromEntries(error.cause ?? []))}`);
  } else if (error instanceof client.WWWAuthenticateChallengeError) {
    parts.push(`status ${error.response?.status}`, `challenges ${show(error.cause)}`);
  } else if (error?.code) {
    parts.push(`code ${error.code}`);
    if (error.cause !== undefined) parts.push(`cause ${show(error.cause)}`);
  }
  return parts.join('; ');
}

const started = Date.now();
let steps = 0;
let browser;
let page;
let callbacks;

async function step(name, body) {
  try {
    const detail = await body();
    steps += 1;
    console.log(`openid-client: ok ${name}${detail ? ` (${detail})` : ''}`);
  } catch (error) {
    console.log(`openid-client: FAIL ${name}: ${describe(error)}`);
    await keepEvidence(name);
    await shutdown();
    process.exit(1);
  }
}

/** With --artifacts: the page as it was when a step failed. */
async function keepEvidence(name) {
  if (!page) return;
  let url = '';
  try {
    url = page.url();
    const text = (await page.locator('body').innerText({ timeout: 2_000 })).slice(0, 600);
    console.log(`openid-client: the browser is at ${url}; its text: ${show(text)}`);
  } catch {
    console.log(`openid-client: the browser is at ${url}`);
  }
  if (!args.artifacts) return;
  try {
    mkdirSync(args.artifacts, { recursive: true });
    const file = name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60);
    await page.screenshot({ path: join(args.artifacts, `${file}.png`), fullPage: true, timeout: 5_000 });
    writeFileSync(join(args.artifacts, `${file}.html`), await page.content());
    console.log(`openid-client: screenshot and HTML in ${args.artifacts}/${file}.*`);
  } catch (error) {
    console.log(`openid-client: no screenshot (${error.message.split('\n')[0]})`);
  }
}

async function shutdown() {
  await browser?.close().catch(() => {});
  callbacks?.close();
}

/**
 * The redirect URI, served on loopback: each request's URL is recorded
 * and answered with a small page. next() waits for the next one.
 */
async function callbackServer(uri) {
  const where = new URL(uri);
  check(where.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(where.hostname),
    'the redirect URI is http on a loopback host (this script serves it)', uri);
  const received = [];
  const waiting = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, uri);
    res.writeHead(url.pathname === where.pathname ? 200 : 404, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end('<!doctype html><title>callback</title><p id="callback">The relying party got its answer.</p>');
    if (url.pathname !== where.pathname) return;
    const w = waiting.shift();
    if (w) w(url);
    else received.push(url);
  });
  await new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Failure(
      `cannot serve the redirect URI ${uri}: ${e.code} (is ${where.host} taken?)`)));
    server.listen(Number(where.port || 80), where.hostname.replace(/^\[|\]$/g, ''), resolve);
  });
  return {
    next(timeoutMs = BROWSER_TIMEOUT_MS) {
      if (received.length) return Promise.resolve(received.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(done), 1);
          reject(new Failure(`no callback to ${uri} within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        const done = (url) => { clearTimeout(timer); resolve(url); };
        waiting.push(done);
      });
    },
    pending() { return received.splice(0); },
    close() { server.close(); server.closeAllConnections?.(); },
  };
}

/** Every top-level navigation response, with its CSP, since the last reset. */
function navigationLog(p) {
  let log = [];
  p.on('response', (response) => {
    const request = response.request();
    if (!request.isNavigationRequest() || request.frame() !== p.mainFrame()) return;
    log.push(response.headerValue('content-security-policy').then((csp) => ({
      url: response.url(), status: response.status(), csp,
    })));
  });
  return {
    reset() { log = []; },
    async entries() { return Promise.all(log); },
  };
}

function pathOf(url) {
  return new URL(url).pathname.replace(/\/+$/, '');
}

function frameAncestorsNone(csp) {
  return typeof csp === 'string' && csp.split(';').some((d) => {
    const [name, ...sources] = d.trim().split(/\s+/);
    return name.toLowerCase() === 'frame-ancestors' && sources.length === 1 && sources[0] === "'none'";
  });
}

function sameScope(a, b) {
  const set = (s) => [...new Set(String(s ?? '').split(' ').filter(Boolean))].sort().join(' ');
  return set(a) === set(b);
}

/** An authorization request's URL and the checks its answer needs. */
async function authorization(config, extra = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const checks = {
    pkceCodeVerifier: verifier,
    expectedState: client.randomState(),
    expectedNonce: client.randomNonce(),
    idTokenExpected: true,
  };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: checks.expectedState,
    nonce: checks.expectedNonce,
    ...extra,
  });
  return { url, checks };
}

/** The callback's URL must carry a code, the state and iss, no error. */
function checkCallback(url, checks) {
  const p = url.searchParams;
  check(!p.has('error'), 'no error at the callback', Object.fromEntries(p));
  check(p.get('code'), 'a code at the callback', Object.fromEntries(p));
  check(p.get('state') === checks.expectedState, 'the state back at the callback', Object.fromEntries(p));
  check(p.get('iss') === issuer, 'iss at the callback (RFC 9207)', Object.fromEntries(p));
}

/** The browser goes to the authorization URL and must come straight back. */
async function straightBack(nav, url, checks, what) {
  nav.reset();
  const back = callbacks.next();
  const landing = await page.goto(url.href);
  check(landing?.url().startsWith(redirectUri), `${what}: the browser lands on the redirect URI`,
    { at: page.url(), status: landing?.status(), navigations: await nav.entries() });
  const callback = await back;
  const pages = (await nav.entries()).filter((e) => !e.url.startsWith(redirectUri));
  check(pages.every((e) => e.status >= 300 && e.status < 400),
    `${what}: no page in between (no login, no consent), only redirects`, pages);
  checkCallback(callback, checks);
  return callback;
}

async function main() {
  let config;
  let meta;
  await step('a. discovery', async () => {
    config = await client.discovery(
      new URL(issuer), clientId, { client_secret: args['client-secret'] },
      client.ClientSecretBasic(), { execute: [client.allowInsecureRequests] },
    );
    meta = config.serverMetadata();
    check(meta.issuer === issuer, 'issuer', meta.issuer);
    check(meta.authorization_endpoint === `${issuer}/oauth/authorize`, 'authorization_endpoint', meta.authorization_endpoint);
    check(meta.token_endpoint === `${issuer}/oauth/token`, 'token_endpoint', meta.token_endpoint);
    check(meta.userinfo_endpoint, 'userinfo_endpoint', meta);
    check(meta.introspection_endpoint && meta.revocation_endpoint, 'introspection and revocation endpoints', meta);
    check(meta.jwks_uri, 'jwks_uri', meta);
    check(meta.code_challenge_methods_supported?.includes('S256'), 'PKCE S256', meta.code_challenge_methods_supported);
    check(meta.token_endpoint_auth_methods_supported?.includes('client_secret_basic'),
      'client_secret_basic', meta.token_endpoint_auth_methods_supported);
    check(meta.authorization_response_iss_parameter_supported === true,
      'authorization_response_iss_parameter_supported', meta.authorization_response_iss_parameter_supported);
    if (args.alg) {
      check(meta.id_token_signing_alg_values_supported?.includes(args.alg),
        `id_token_signing_alg_values_supported has ${args.alg}`, meta.id_token_signing_alg_values_supported);
    }
    return meta.issuer;
  });

  let first;
  await step('b. authorization URL (code, PKCE S256, state, nonce)', async () => {
    first = await authorization(config);
    const p = first.url.searchParams;
    check(p.get('response_type') === 'code' && p.get('code_challenge_method') === 'S256'
      && p.get('client_id') === clientId, 'the URL', first.url.href);
  });

  callbacks = await callbackServer(redirectUri).catch((e) => {
    console.log(`openid-client: FAIL the redirect URI: ${describe(e)}`);
    process.exit(1);
  });
  browser = await chromium.launch({
    executablePath: args.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext();
  context.setDefaultTimeout(BROWSER_TIMEOUT_MS);
  page = await context.newPage();
  const nav = navigationLog(page);
  const loginPath = `${pathOf(issuer)}/oauth/login`;
  const authorizePath = pathOf(meta.authorization_endpoint);

  let firstCallback;
  await step('c. hosted login and consent pages in Chromium', async () => {
    nav.reset();
    const landing = await page.goto(first.url.href);
    check(landing && pathOf(landing.url()) === loginPath, `the hosted login page (${loginPath})`,
      { at: landing?.url(), status: landing?.status(), pending: callbacks.pending().map(String) });
    check(landing.status() === 200, 'the login page: 200', landing.status());
    const loginCsp = await landing.headerValue('content-security-policy');
    check(frameAncestorsNone(loginCsp), "the login page's CSP has frame-ancestors 'none'", loginCsp);
    const next = new URL(new URL(landing.url()).searchParams.get('next') ?? '', landing.url());
    check(pathOf(next.href) === authorizePath && next.searchParams.get('state') === first.checks.expectedState,
      'next is this authorization request', next.href);

    await page.fill('#username', args.username);
    await page.fill('#password', args.password);
    nav.reset();
    await page.click('#login-submit');
    const allow = page.locator('#consent-allow');
    try {
      await allow.waitFor({ state: 'visible' });
    } catch {
      const error = await page.locator('#error').innerText({ timeout: 1_000 }).catch(() => null);
      const mfa = await page.locator('#mfa-form').isVisible().catch(() => null);
      check(false, 'the consent page (#consent-allow) after logging in', {
        at: page.url(), error, mfaStep: mfa, navigations: await nav.entries(),
        callbacks: callbacks.pending().map(String),
      });
    }
    const consent = (await nav.entries()).filter((e) => pathOf(e.url) === authorizePath && e.status === 200).pop();
    check(consent, 'the consent page is the authorization endpoint answering 200', await nav.entries());
    check(frameAncestorsNone(consent.csp), "the consent page's CSP has frame-ancestors 'none'", consent.csp);
    check(await page.locator('#consent-deny').isVisible(), 'a deny button (#consent-deny) too');

    const back = callbacks.next();
    await page.click('#consent-allow');
    firstCallback = await back;
    checkCallback(firstCallback, first.checks);
    return `callback with code, state, iss`;
  });

  let tokens;
  let claims;
  await step('d. code grant, ID token', async () => {
    tokens = await client.authorizationCodeGrant(config, firstCallback, first.checks);
    check(tokens.access_token, 'an access token', tokens);
    check(tokens.token_type?.toLowerCase() === 'bearer', 'token_type Bearer', tokens.token_type);
    check(tokens.expires_in > 0, 'expires_in', tokens.expires_in);
    check(tokens.refresh_token, 'a refresh token (default grants)', Object.keys(tokens));
    check(tokens.id_token, 'an id_token', Object.keys(tokens));
    check(sameScope(tokens.scope ?? scope, scope), 'the scope granted', tokens.scope);
    claims = tokens.claims();
    check(claims.iss === issuer, 'iss', claims.iss);
    check(typeof claims.sub === 'string' && claims.sub.length > 0, 'sub', claims.sub);
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    check(aud.includes(clientId), 'aud is the client', claims.aud);
    check(claims.nonce === first.checks.expectedNonce, 'nonce', claims.nonce);
    check(Number.isInteger(claims.auth_time) && claims.auth_time <= claims.iat
      && claims.auth_time > claims.iat - 600, 'auth_time (the login, minutes ago at most)', claims);
    check(Array.isArray(claims.amr) && claims.amr.includes('pwd'), 'amr has "pwd"', claims.amr);

    // The signatures, once more, by jose alone against the published JWKS.
    const jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));
    const idHeader = jose.decodeProtectedHeader(tokens.id_token);
    if (args.alg) check(idHeader.alg === args.alg, `the ID token is signed with ${args.alg}`, idHeader);
    check(idHeader.kid, 'the ID token names its key (kid)', idHeader);
    const verified = await jose.jwtVerify(tokens.id_token, jwks, {
      issuer, audience: clientId, algorithms: [idHeader.alg], requiredClaims: ['sub', 'exp', 'iat', 'auth_time'],
    });
    check(verified.payload.sub === claims.sub, 'jose: the same sub', verified.payload);
    const access = await jose.jwtVerify(tokens.access_token, jwks, {
      issuer, typ: 'at+jwt', algorithms: [idHeader.alg], requiredClaims: ['sub', 'exp', 'iat', 'jti', 'aud'],
    });
    check(access.payload.client_id === clientId, "the access token's client_id", access.payload);
    check(sameScope(access.payload.scope, scope), "the access token's scope", access.payload.scope);
    return `sub ${claims.sub}, amr ${claims.amr.join(',')}, ${idHeader.alg} verified by jose`;
  });

  await step('e. userinfo', async () => {
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    check(info.sub === claims.sub, 'sub', info);
    check(info.preferred_username === args.username, 'preferred_username', info);
    return `preferred_username ${info.preferred_username}`;
  });

  let second;
  await step('f. second authorization: no login, no consent (remembered)', async () => {
    const request = await authorization(config);
    const callback = await straightBack(nav, request.url, request.checks, 'the second authorization');
    second = await client.authorizationCodeGrant(config, callback, request.checks);
    const c = second.claims();
    check(c.sub === claims.sub, 'the same user', c);
    check(c.auth_time === claims.auth_time, 'auth_time is still the one login', { first: claims.auth_time, now: c.auth_time });
    check(second.refresh_token && second.refresh_token !== tokens.refresh_token, 'a refresh token of its own', Object.keys(second));
  });

  await step('g. refresh: rotated, the old one refused', async () => {
    const renewed = await client.refreshTokenGrant(config, tokens.refresh_token);
    check(renewed.access_token && renewed.access_token !== tokens.access_token, 'a new access token', Object.keys(renewed));
    check(renewed.refresh_token && renewed.refresh_token !== tokens.refresh_token, 'a new refresh token', Object.keys(renewed));
    const refused = async (token, what) => {
      try {
        const again = await client.refreshTokenGrant(config, token);
        check(false, `${what}: invalid_grant`, again);
      } catch (error) {
        if (error instanceof Failure) throw error;
        check(error instanceof client.ResponseBodyError && error.error === 'invalid_grant',
          `${what}: invalid_grant`, describe(error));
      }
    };
    await refused(tokens.refresh_token, 'the old refresh token again');
    // REFRESH_REUSE_DETECTION (on by default): that reuse revoked the family.
    await refused(renewed.refresh_token, "after the reuse, its successor (family revoked)");
    return 'reuse is invalid_grant and revokes the family';
  });

  await step('h. introspection and revocation', async () => {
    const info = await client.tokenIntrospection(config, second.access_token);
    check(info.active === true, 'the access token is active', info);
    check(info.username === args.username, 'username', info);
    check(info.client_id === clientId, 'client_id', info);
    check(sameScope(info.scope, scope), 'scope', info);
    const refresh = await client.tokenIntrospection(config, second.refresh_token);
    check(refresh.active === true, 'the refresh token is active before its revocation', refresh);
    await client.tokenRevocation(config, second.refresh_token);
    const revoked = await client.tokenIntrospection(config, second.refresh_token);
    check(revoked.active === false, 'the revoked refresh token is inactive', revoked);
    const family = await client.tokenIntrospection(config, second.access_token);
    check(family.active === false, "its family's access token is inactive too", family);
    return 'active, then revoked: inactive';
  });

  await step('i. prompt=none with the session', async () => {
    const request = await authorization(config, { prompt: 'none' });
    const callback = await straightBack(nav, request.url, request.checks, 'prompt=none');
    const t = await client.authorizationCodeGrant(config, callback, request.checks);
    check(t.claims().sub === claims.sub, 'the same user', t.claims());
  });

  if (args.partner) {
    await step('j. the partner app (examples/oauth-client/): log in with this service', async () => {
      // Another third-party client, on its own origin: the browser's session
      // is there already, so its consent page comes straight away.
      await page.goto(args.partner);
      await page.click('#login-with');
      await page.locator('#consent-allow').waitFor({ state: 'visible' });
      check(await page.locator('h1').innerText() === 'Allow Partner app to use your account?',
        'the consent page names the partner app', await page.locator('h1').innerText());
      await page.click('#consent-allow');
      const welcome = page.locator('#welcome');
      await welcome.waitFor({ state: 'visible' });
      check((await welcome.innerText()).includes(args.username), 'the partner app greets the user', await welcome.innerText());
      const shown = JSON.parse(await page.locator('#claims').innerText());
      check(shown.sub === claims.sub && Array.isArray(shown.amr), "the id_token's claims, shown", shown);
      return 'consent, code, id_token and userinfo, on its own origin';
    });
  }

  if (args['mfa-username']) {
    await step("k. the hosted login page's TOTP step (a recovery code), amr otp", async () => {
      // The user turns TOTP on through the API (otpauth computes the code).
      const post = async (path, body, bearer) => {
        const r = await fetch(`${issuer}/${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
          body: JSON.stringify(body),
        });
        return { status: r.status, json: await r.json().catch(() => ({})) };
      };
      // `cargo lambda watch` starts each function on its first call (a cold
      // `cargo run`, answered 5xx by the emulator if slow under load); a
      // deployed one is just there. Wait until the functions this step
      // uses answer (OPTIONS: their metadata, nothing changed).
      for (const path of ['mfa/totp', 'login/mfa']) {
        for (let tries = 0; ; tries += 1) {
          const r = await fetch(`${issuer}/${path}`, { method: 'OPTIONS' }).catch(() => null);
          if (r && r.status < 500) break;
          check(tries < 60, `${path} answers within a minute`, r?.status);
          await new Promise((done) => setTimeout(done, 1000));
        }
      }
      const password = args['mfa-password'];
      const pair = await post('login/simpleJWT', { username: args['mfa-username'], password });
      check(pair.status === 200 && pair.json.access, 'a token pair for the second user', pair);
      const begun = await post('mfa/totp', { password }, pair.json.access);
      check(begun.status === 200 && begun.json.secret, 'a TOTP secret', begun.status);
      const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(begun.json.secret), algorithm: 'SHA1', digits: 6, period: 30 });
      const confirmed = await post('mfa/totp/confirm', { password, code: totp.generate() }, pair.json.access);
      check(confirmed.status === 200 && confirmed.json.recovery_codes?.length === 10, 'TOTP on, recovery codes', confirmed.status);
      // A browser of its own (no session): the login page asks for the
      // second step, and a recovery code (its time step is spent) passes.
      const own = await browser.newContext();
      own.setDefaultTimeout(BROWSER_TIMEOUT_MS);
      const second = await own.newPage();
      // A failure's evidence is this page's.
      const previous = page;
      page = second;
      const request = await authorization(config);
      await second.goto(request.url.href);
      await second.fill('#username', args['mfa-username']);
      await second.fill('#password', password);
      await second.click('#login-submit');
      await second.locator('#mfa-form').waitFor({ state: 'visible' });
      check(await second.locator('#login-form').isHidden(), 'the password form gives way to the second step');
      await second.fill('#code', confirmed.json.recovery_codes[0]);
      await second.click('#mfa-submit');
      await second.locator('#consent-allow').waitFor({ state: 'visible' });
      const back = callbacks.next();
      await second.click('#consent-allow');
      const callback = await back;
      checkCallback(callback, request.checks);
      const t = await client.authorizationCodeGrant(config, callback, request.checks);
      const c = t.claims();
      check(c.sub !== claims.sub, 'another user', c);
      check(Array.isArray(c.amr) && c.amr.includes('pwd') && c.amr.includes('otp'), 'amr: pwd and otp', c.amr);
      page = previous;
      await own.close();
      return `amr ${c.amr.join(' ')}`;
    });
  }

  await shutdown();
  console.log(`openid-client: ${steps} steps passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch(async (error) => {
  console.log(`openid-client: FAIL ${describe(error)}`);
  if (error?.stack) console.log(error.stack);
  await shutdown();
  process.exit(1);
});
