//! What every endpoint shares (API.md "Request bodies", "Headers on every
//! response"): 405 with Allow, 415, 400 parse errors, 413, 406, OPTIONS,
//! and the headers on every response. Every endpoint of the route table
//! gets each check.

use integration_tests::auth::web::Family;
use integration_tests::{ALICE_PASSWORD, ROUTES, Req, Resp, Route, TestApp, spawn_app};
use serde_json::json;

use crate::helpers::*;

/// Calls the function serving `route`.
async fn send(t: &TestApp, route: &Route, req: Req) -> Resp {
    Resp::from_response(route.invoke(&t.app, req.build()).await)
}

/// The endpoints that read a body (logout, as Django's, never does).
fn reading_a_body() -> impl Iterator<Item = &'static Route> {
    ROUTES.iter().filter(|r| r.reads_body)
}

/// A request whose caller authenticates, with an access token of alice
/// (where authentication comes before the method check, and for the
/// endpoints that need a caller).
fn authed(req: Req, access: &str) -> Req {
    req.bearer(access)
}

#[tokio::test]
async fn wrong_methods_get_405_with_allow() {
    let t = spawn_app().await;
    let (_, access) = pair_of_alice(&t).await;
    for route in ROUTES.iter() {
        for method in route.wrong_methods() {
            let r = send(&t, route, authed(Req::new(method, route.path), &access)).await;
            r.assert(
                405,
                &format!(r#"{{"detail":"Method \"{method}\" not allowed."}}"#),
            );
            assert_eq!(
                r.header("allow"),
                Some(route.serves.allow()),
                "{}",
                route.path
            );
            assert_eq!(r.header("content-type"), Some("application/json"));
        }
    }
}

#[tokio::test]
async fn other_content_types_get_415_naming_the_type_as_sent() {
    let t = spawn_app().await;
    let (_, access) = pair_of_alice(&t).await;
    for route in reading_a_body() {
        let post = || authed(Req::new(route.body_method(), route.path), &access);
        for ct in [
            "text/plain",
            "text/plain; charset=utf-8",
            "multipart/form-data; boundary=x",
            "application/xml",
        ] {
            let r = send(&t, route, post().raw_body(ct, b"x=1")).await;
            r.assert(
                415,
                &format!(r#"{{"detail":"Unsupported media type \"{ct}\" in request."}}"#),
            );
        }
        let r = send(&t, route, post().raw_body("", b"{}")).await;
        r.assert(
            415,
            r#"{"detail":"Unsupported media type \"\" in request."}"#,
        );
    }
}

#[tokio::test]
async fn views_that_ignore_their_body_never_refuse_one() {
    let t = spawn_app().await;
    let ignoring: Vec<&Route> = ROUTES
        .iter()
        .filter(|r| !r.reads_body && r.method() == "POST")
        .collect();
    let names: Vec<&str> = ignoring.iter().map(|r| r.function).collect();
    assert_eq!(names, ["logout", "logout-all"]);
    for route in ignoring {
        for (ct, body) in [("text/plain", &b"x"[..]), ("application/json", b"{")] {
            let req = Req::post(route.path)
                .basic("alice", ALICE_PASSWORD)
                .raw_body(ct, body);
            send(&t, route, req).await.assert(200, "");
        }
    }
}

#[tokio::test]
async fn an_empty_body_of_any_type_reads_as_no_fields() {
    let t = spawn_app().await;
    let r = send(
        &t,
        Route::at(VERIFY),
        Req::post(VERIFY).raw_body("text/plain", b""),
    )
    .await;
    r.assert(400, r#"{"token":["This field is required."]}"#);
    let r = send(
        &t,
        Route::at(LOGIN),
        Req::post(LOGIN).raw_body("text/plain", b""),
    )
    .await;
    r.assert(400, r#"{"detail":"Malformed request."}"#);
}

#[tokio::test]
async fn unparseable_json_is_400_json_parse_error() {
    let t = spawn_app().await;
    let (_, access) = pair_of_alice(&t).await;
    for route in reading_a_body() {
        for body in [&b"{"[..], b"{\"username\": }", b"\xff\xfe", b"[1,]", b"NaN"] {
            let req = authed(Req::new(route.body_method(), route.path), &access)
                .raw_body("application/json", body);
            let r = send(&t, route, req).await;
            assert_eq!(r.status, 400, "{} {body:?}", route.path);
            let detail = r.json()["detail"].as_str().unwrap().to_owned();
            assert!(detail.starts_with("JSON parse error - "), "{detail}");
        }
    }
}

#[tokio::test]
async fn bodies_over_64_kib_are_413_before_anything_else() {
    let t = spawn_app().await;
    let big = vec![b'a'; 64 * 1024 + 1];
    for route in ROUTES.iter() {
        // even unauthenticated, with the wrong method or content type
        for req in [
            Req::post(route.path).raw_body("application/json", &big),
            Req::new("PUT", route.path).raw_body("text/plain", &big),
        ] {
            let r = send(&t, route, req).await;
            r.assert(413, r#"{"detail":"Request body too large."}"#);
            assert_security_headers(&r);
        }
    }
    // exactly 64 KiB is parsed (and here fails as JSON)
    let limit = vec![b' '; 64 * 1024];
    let req = Req::post(VERIFY).raw_body("application/json", &limit);
    assert_eq!(send(&t, Route::at(VERIFY), req).await.status, 400);
}

#[tokio::test]
async fn every_response_carries_the_security_and_vary_headers() {
    let t = spawn_app().await;
    for route in ROUTES.iter() {
        for req in [
            Req::post(route.path).json(&json!({})),
            Req::get(route.path),
            Req::new("OPTIONS", route.path),
        ] {
            let r = send(&t, route, req).await;
            assert_security_headers(&r);
            let (vary, challenge) = match route.family {
                Family::Tutorial => ("Accept, Cookie", r#"Basic realm="api""#),
                Family::SimpleJwt => ("Accept", r#"Bearer realm="api""#),
                Family::OAuth => ("Accept", r#"Basic realm="oauth""#),
                Family::OAuthResource => {
                    ("Accept", r#"Bearer realm="oauth", error="invalid_token""#)
                }
            };
            assert_eq!(r.header("vary"), Some(vary), "{} {}", route.path, r.status);
            assert!(r.header("allow").is_some());
            if !r.body.is_empty() {
                let path = route.path;
                assert_eq!(r.header("content-type"), Some("application/json"), "{path}");
                let _ = r.json();
            }
            let want = (r.status == 401).then_some(challenge);
            assert_eq!(r.header("www-authenticate"), want, "{}", route.path);
        }
    }
}

#[tokio::test]
async fn options_describes_each_view() {
    let t = spawn_app().await;
    let (_, access) = pair_of_alice(&t).await;
    let names = [
        ("login", "Login"),
        ("logout", "Logout"),
        ("logout-all", "Logout All"),
        ("password-change", "Password Change"),
        ("jwt-login", "Jwt Login"),
        ("info", "User Detail"),
        ("token-obtain-pair", "Token Obtain Pair"),
        ("token-refresh", "Token Refresh"),
        ("token-verify", "Token Verify"),
        ("token-blacklist", "Token Blacklist"),
        ("well-known", "Well Known"),
        ("login-mfa", "Login Mfa"),
        ("mfa", "Mfa"),
        ("registration", "Register"),
        ("password-reset", "Password Reset"),
        ("user", "User Details"),
        ("passkeys", "Passkeys"),
        ("login-passkey", "Login Passkey"),
        ("registration-passkey", "Register Passkey"),
        ("oauth-authorize", "OAuth Authorize"),
        ("oauth-token", "OAuth Token"),
        ("oauth-tokens", "OAuth Tokens"),
        ("oauth-userinfo", "OAuth Userinfo"),
        ("oauth-grants", "OAuth Grants"),
    ];
    assert_covers_every_route(names.iter().map(|(f, _)| *f));
    for (function, name) in names {
        let route = Route::of(function);
        let r = send(&t, route, authed(Req::new("OPTIONS", route.path), &access)).await;
        assert_eq!(r.status, 200, "{function}");
        let v = r.json();
        assert_eq!(v["name"], json!(name));
        assert_eq!(v["renders"], json!(["application/json"]));
        assert_eq!(
            v["parses"],
            json!(["application/json", "application/x-www-form-urlencoded"])
        );
    }
}

#[tokio::test]
async fn accept_headers_allowing_neither_json_nor_html_get_406_first() {
    let t = spawn_app().await;
    for route in ROUTES.iter() {
        let req = |accept: &str| {
            Req::post(route.path)
                .header("accept", accept)
                .json(&json!({}))
        };
        for accept in ["application/xml", "image/*", ""] {
            // before authentication: no credentials, yet 406 rather than 401
            let r = send(&t, route, req(accept)).await;
            r.assert(
                406,
                r#"{"detail":"Could not satisfy the request Accept header."}"#,
            );
        }
        for accept in [
            "application/json",
            "*/*",
            "text/html",
            "application/xml, */*;q=0.1",
        ] {
            let r = send(&t, route, req(accept)).await;
            assert_ne!(r.status, 406, "{} {accept}", route.path);
            assert_eq!(
                r.header("content-type"),
                Some("application/json"),
                "always JSON"
            );
        }
    }
}
