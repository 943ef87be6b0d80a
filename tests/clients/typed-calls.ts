// Typed calls, written the way the demo page (examples/spa/app.js) makes
// them, against the TypeScript generated from docs/openapi.yaml:
//   1. app.js's own `call(label, method, path, {body, bearer})` around
//      fetch, typed with openapi-typescript's `paths` (path, method, JSON
//      body and each status's JSON answer);
//   2. the same calls through openapi-fetch, a typed client over `paths`;
//   3. and through the SDK @hey-api/openapi-ts generates.
// tests/clients/run.sh generates both into target/clients/ and runs
// `tsc --noEmit` over this file; it is never run. A path, a method, a
// body field or a response field the document does not have fails to
// compile: the `@ts-expect-error` lines of `refused` keep that true (tsc
// fails on a directive that no longer catches an error). openapi-fetch
// infers its options, so it misses an extra body field (a typo of an
// optional one): `call` and the SDK catch those.

import createClient from "openapi-fetch";
import type { components, paths } from "../../target/clients/ts/schema";
import { client as heyApi } from "../../target/clients/hey-api/client.gen";
import {
  info as heyInfo,
  passkeys as heyPasskeys,
  tokenObtainPair as heyTokenObtainPair,
  tokenRefresh as heyTokenRefresh,
} from "../../target/clients/hey-api/sdk.gen";

const API = "http://localhost:9000";
const USERS = "/api/v1/users";

// --- 1. app.js's `call`, typed by `paths` ------------------------------------

// A path under USERS ("/login/simpleJWT"), as app.js writes them.
type Route = keyof paths extends infer P ? (P extends `${typeof USERS}${infer R}` ? R : never) : never;
type Verb = "GET" | "POST" | "PATCH" | "DELETE";
type Operation<R extends Route, V extends Verb> = NonNullable<paths[`${typeof USERS}${R}`][Lowercase<V>]>;
// The methods a path serves.
type VerbOf<R extends Route> = { [V in Verb]: [Operation<R, V>] extends [never] ? never : V }[Verb];
type JsonBody<O> = O extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;
// {status, data} for each documented status: its JSON body, or app.js's
// "(empty body)".
type Answer<O> = O extends { responses: infer Rs }
  ? {
      [S in keyof Rs]: {
        status: S;
        data: Rs[S] extends { content: { "application/json": infer B } } ? B : "(empty body)";
      };
    }[keyof Rs]
  : never;

function cookie(name: string): string | null {
  const found = document.cookie
    .split(";")
    .map((c) => c.trim())
    .find((c) => c.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : null;
}

// One request to the API; cookies go along unless `credentials` says
// otherwise, unsafe requests repeat the csrftoken cookie (Django's CSRF
// check). Unlike app.js, no status 0: a failure throws.
async function call<R extends Route, V extends VerbOf<R>>(
  label: string,
  method: V,
  path: R,
  {
    body,
    bearer,
    credentials = "include",
  }: { body?: JsonBody<Operation<R, V>>; bearer?: string; credentials?: RequestCredentials } = {},
): Promise<Answer<Operation<R, V>>> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const csrf = cookie("csrftoken");
  if (method !== "GET" && csrf) headers["X-CSRFToken"] = csrf;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const resp = await fetch(API + USERS + path, {
    method,
    headers,
    credentials,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10000),
  });
  const text = await resp.text();
  console.log(`${label}: ${method} ${path} ${resp.status}`);
  return { status: resp.status, data: text ? JSON.parse(text) : "(empty body)" } as Answer<Operation<R, V>>;
}

// The access token: in this variable only, as the demo page keeps it.
let access: string | null = null;

// The refresh token comes back in an HttpOnly cookie, the body is {"access"}.
export async function jwtLogin(username: string, password: string): Promise<void> {
  const r = await call("obtain tokens", "POST", "/login/simpleJWT", { body: { username, password } });
  access = r.status === 200 ? r.data.access : null;
  // Wrong credentials. (app.js's awaitCode also reads a 401
  // {"code":"mfa_required","mfa_token"}, which docs/openapi.yaml does not
  // document yet: it would not compile.)
  if (r.status === 401) console.log(r.data.detail);
  if (r.status === 403 && "code" in r.data) console.log(r.data.code);
}

// Refreshes the access token with the refresh cookie.
export async function refresh(): Promise<string | null> {
  const r = await call("refresh", "POST", "/login/simpleJWT/refresh", { body: {} });
  access = r.status === 200 ? r.data.access : null;
  return access;
}

export async function jwtWhoami(): Promise<string | null> {
  if (!access) return null;
  const r = await call("who am I (Bearer)", "GET", "/login/jwt/info", { bearer: access, credentials: "omit" });
  return r.status === 200 ? `${r.data.username} (${r.data.id})` : null;
}

export async function jwtLogout(): Promise<void> {
  await call("log out (blacklist)", "POST", "/login/simpleJWT/blacklist", { body: {} });
  access = null;
}

// The caller's passkeys, by name; 404 while passkeys are off.
export async function listPasskeys(): Promise<string[] | "off" | null> {
  if (!access) return null;
  const r = await call("my passkeys", "GET", "/passkeys", { bearer: access, credentials: "omit" });
  if (r.status === 404) return "off";
  if (r.status !== 200) return null;
  return r.data.map((p: components["schemas"]["Passkey"]) => `${p.name}, added ${p.created}`);
}

// Self-service accounts: sign up, then the link's key.
export async function signUp(username: string, email: string, password: string): Promise<boolean> {
  const body = { username, email, password1: password, password2: password };
  const r = await call("sign up", "POST", "/registration", { body });
  if (r.status === 400 && "username" in r.data) console.log(r.data.username?.join(" "));
  return r.status === 201;
}

export async function verify(key: string): Promise<boolean> {
  const r = await call("verify e-mail", "POST", "/registration/verify-email", { body: { key } });
  return r.status === 200 && r.data.detail === "ok";
}

// --- 2. openapi-fetch ----------------------------------------------------------

const api = createClient<paths>({ baseUrl: API, credentials: "include" });

function csrfHeader(): Record<string, string> {
  const token = cookie("csrftoken");
  return token ? { "X-CSRFToken": token } : {};
}

export async function fetchClientCalls(username: string, password: string): Promise<string[] | null> {
  const login = await api.POST("/api/v1/users/login/simpleJWT", {
    body: { username, password },
    headers: csrfHeader(),
  });
  if (!login.data) return null;
  access = login.data.access;
  const renewed = await api.POST("/api/v1/users/login/simpleJWT/refresh", { body: {}, headers: csrfHeader() });
  if (renewed.data) access = renewed.data.access;
  const bearer = { Authorization: `Bearer ${access}` };
  const me = await api.GET("/api/v1/users/login/jwt/info", { headers: bearer, credentials: "omit" });
  const keys = await api.GET("/api/v1/users/passkeys", { headers: bearer, credentials: "omit" });
  if (!me.data || !keys.data) return null;
  const removed = await api.DELETE("/api/v1/users/passkeys/{id}", {
    params: { path: { id: keys.data[0].id } },
    body: { password },
    headers: bearer,
    credentials: "omit",
  });
  console.log(me.data.username, removed.response.status === 204);
  await api.POST("/api/v1/users/login/simpleJWT/blacklist", { body: {}, headers: csrfHeader() });
  return keys.data.map((p) => p.name);
}

// --- 3. @hey-api/openapi-ts's SDK ----------------------------------------------

// Its client sends the access token for the `bearerAuth` scheme only.
heyApi.setConfig({
  baseUrl: API,
  credentials: "include",
  auth: (scheme) => (scheme.scheme === "bearer" && access ? access : undefined),
});

export async function sdkCalls(username: string, password: string): Promise<string | null> {
  const login = await heyTokenObtainPair({ body: { username, password } });
  if (!login.data) return null;
  access = login.data.access;
  const renewed = await heyTokenRefresh({ body: {}, headers: csrfHeader() });
  if (renewed.data) access = renewed.data.access;
  const me = await heyInfo({ credentials: "omit" });
  const keys = await heyPasskeys({ credentials: "omit" });
  const names = keys.data ? keys.data.map((p) => p.name) : [];
  return me.data ? `${me.data.username}: ${names.join(", ")}` : null;
}

// --- what the generated types refuse: each line must fail to compile ---------

export async function refused(password: string): Promise<void> {
  // @ts-expect-error: no such path
  await call("obtain", "POST", "/login/simpleJwt", { body: { username: "alice", password } });
  // @ts-expect-error: the path serves no GET
  await call("obtain", "GET", "/login/simpleJWT");
  // @ts-expect-error: a body field the endpoint does not take (a typo)
  await call("obtain", "POST", "/login/simpleJWT", { body: { username: "alice", password, pasword: password } });
  // @ts-expect-error: a typo of an optional body field
  await call("refresh", "POST", "/login/simpleJWT/refresh", { body: { refesh: "x" } });
  // @ts-expect-error: a body field of the wrong type
  await call("refresh", "POST", "/login/simpleJWT/refresh", { body: { refresh: 42 } });
  // @ts-expect-error: a required body field missing
  await call("sign up", "POST", "/registration", { body: { username: "a", email: "a@example.com", password1: password } });
  const r = await call("who am I", "GET", "/login/jwt/info");
  // @ts-expect-error: a response field the endpoint does not answer
  if (r.status === 200) console.log(r.data.email);

  // @ts-expect-error: no such path
  await api.POST("/api/v1/users/login/simpleJwt", { body: { username: "alice", password } });
  // @ts-expect-error: the path serves no GET
  await api.GET("/api/v1/users/login/simpleJWT");
  // @ts-expect-error: a required body field misspelt
  await api.POST("/api/v1/users/login/simpleJWT", { body: { username: "alice", pasword: password } });
  // @ts-expect-error: a body field of the wrong type
  await api.POST("/api/v1/users/login/simpleJWT/refresh", { body: { refresh: 42 } });
  const { data } = await api.GET("/api/v1/users/login/jwt/info");
  // @ts-expect-error: a response field the endpoint does not answer
  console.log(data?.email);

  // @ts-expect-error: a body field the endpoint does not take (a typo)
  await heyTokenObtainPair({ body: { username: "alice", password, pasword: password } });
  // @ts-expect-error: a typo of an optional body field
  await heyTokenRefresh({ body: { refesh: "x" } });
}
