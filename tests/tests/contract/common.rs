//! What every endpoint shares: 405 with Allow, 415, 400 parse errors, 413,
//! OPTIONS, and the headers on every response.

use integration_tests::{Req, Resp, TestApp, spawn_app};
use serde_json::json;

use super::*;

/// Calls the function serving `path`.
async fn send(t: &TestApp, path: &str, req: Req) -> Resp {
    let function = ROUTES
        .iter()
        .find(|(p, _)| *p == path)
        .expect("a contract path")
        .1;
    invoke(function, t, req.build()).await
}

/// The endpoints that read a body (logout, as Django's, never does).
const POSTS: [&str; 6] = [LOGIN, JWT_LOGIN, OBTAIN, REFRESH, VERIFY, BLACKLIST];
const ALL: [&str; 8] = [
    LOGIN, LOGOUT, JWT_LOGIN, INFO, OBTAIN, REFRESH, VERIFY, BLACKLIST,
];

fn tutorial(path: &str) -> bool {
    matches!(path, LOGIN | LOGOUT | JWT_LOGIN | INFO)
}

/// A request that authenticates (needed where auth comes before the method check).
fn authed(req: Req) -> Req {
    req.basic("alice", integration_tests::ALICE_PASSWORD)
}

#[tokio::test]
async fn wrong_methods_get_405_with_allow() {
    let t = spawn_app().await;
    for path in ALL {
        let allow = if path == INFO {
            "GET, HEAD, OPTIONS"
        } else {
            "POST, OPTIONS"
        };
        let wrong = if path == INFO {
            ["POST", "PUT", "DELETE"]
        } else {
            ["GET", "PUT", "DELETE"]
        };
        for method in wrong {
            let r = send(&t, path, authed(Req::new(method, path))).await;
            r.assert(
                405,
                &format!(r#"{{"detail":"Method \"{method}\" not allowed."}}"#),
            );
            assert_eq!(r.header("allow"), Some(allow), "{path}");
            assert_eq!(r.header("content-type"), Some("application/json"));
        }
    }
}

#[tokio::test]
async fn other_content_types_get_415_naming_the_type_as_sent() {
    let t = spawn_app().await;
    for path in POSTS {
        for ct in [
            "text/plain",
            "text/plain; charset=utf-8",
            "multipart/form-data; boundary=x",
            "application/xml",
        ] {
            let r = send(&t, path, authed(Req::post(path).raw_body(ct, b"x=1"))).await;
            r.assert(
                415,
                &format!(
                    r#"{{"detail":"Unsupported media type \"{}\" in request."}}"#,
                    ct
                ),
            );
        }
        let r = send(&t, path, authed(Req::post(path).raw_body("", b"{}"))).await;
        r.assert(
            415,
            r#"{"detail":"Unsupported media type \"\" in request."}"#,
        );
    }
}

#[tokio::test]
async fn logout_never_reads_its_body() {
    let t = spawn_app().await;
    for path in [LOGOUT, LOGOUT_ALL] {
        for (ct, body) in [("text/plain", &b"x"[..]), ("application/json", b"{")] {
            let r = send(&t, path, authed(Req::post(path).raw_body(ct, body))).await;
            r.assert(200, "");
        }
    }
}

#[tokio::test]
async fn an_empty_body_of_any_type_reads_as_no_fields() {
    let t = spawn_app().await;
    let r = send(&t, VERIFY, Req::post(VERIFY).raw_body("text/plain", b"")).await;
    r.assert(400, r#"{"token":["This field is required."]}"#);
    let r = send(&t, LOGIN, Req::post(LOGIN).raw_body("text/plain", b"")).await;
    r.assert(400, r#"{"detail":"Malformed request."}"#);
}

#[tokio::test]
async fn unparseable_json_is_400_json_parse_error() {
    let t = spawn_app().await;
    for path in POSTS {
        for body in [&b"{"[..], b"{\"username\": }", b"\xff\xfe", b"[1,]", b"NaN"] {
            let r = send(
                &t,
                path,
                authed(Req::post(path).raw_body("application/json", body)),
            )
            .await;
            assert_eq!(r.status, 400, "{path} {body:?}");
            let detail = r.json()["detail"].as_str().unwrap().to_owned();
            assert!(detail.starts_with("JSON parse error - "), "{detail}");
        }
    }
}

#[tokio::test]
async fn bodies_over_64_kib_are_413_before_anything_else() {
    let t = spawn_app().await;
    let big = vec![b'a'; 64 * 1024 + 1];
    for path in ALL {
        // even unauthenticated, with the wrong method or content type
        for req in [
            Req::post(path).raw_body("application/json", &big),
            Req::new("PUT", path).raw_body("text/plain", &big),
        ] {
            let r = send(&t, path, req).await;
            r.assert(413, r#"{"detail":"Request body too large."}"#);
            assert_security_headers(&r);
        }
    }
    // exactly 64 KiB is parsed (and here fails as JSON)
    let limit = vec![b' '; 64 * 1024];
    let r = send(
        &t,
        VERIFY,
        Req::post(VERIFY).raw_body("application/json", &limit),
    )
    .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn every_response_carries_the_security_and_vary_headers() {
    let t = spawn_app().await;
    for path in ALL {
        for req in [
            Req::post(path).json(&json!({})),
            Req::get(path),
            Req::new("OPTIONS", path),
        ] {
            let r = send(&t, path, req).await;
            assert_security_headers(&r);
            let vary = if tutorial(path) {
                "Accept, Cookie"
            } else {
                "Accept"
            };
            assert_eq!(r.header("vary"), Some(vary), "{path} {}", r.status);
            assert!(r.header("allow").is_some());
            if !r.body.is_empty() {
                assert_eq!(r.header("content-type"), Some("application/json"), "{path}");
                let _ = r.json();
            }
            match r.status {
                401 if tutorial(path) => {
                    assert_eq!(r.header("www-authenticate"), Some(r#"Basic realm="api""#))
                }
                401 => assert_eq!(r.header("www-authenticate"), Some(r#"Bearer realm="api""#)),
                _ => assert_eq!(r.header("www-authenticate"), None),
            }
        }
    }
}

#[tokio::test]
async fn options_describes_each_view() {
    let t = spawn_app().await;
    for (path, name) in [
        (LOGIN, "Login"),
        (LOGOUT, "Logout"),
        (LOGOUT_ALL, "Logout All"),
        (PASSWORD, "Password Change"),
        (JWT_LOGIN, "Jwt Login"),
        (INFO, "User Detail"),
        (OBTAIN, "Token Obtain Pair"),
        (REFRESH, "Token Refresh"),
        (VERIFY, "Token Verify"),
        (BLACKLIST, "Token Blacklist"),
    ] {
        let r = send(&t, path, authed(Req::new("OPTIONS", path))).await;
        assert_eq!(r.status, 200, "{path}");
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
    for path in ALL {
        for accept in ["application/xml", "image/*", ""] {
            // before authentication: no credentials, yet 406 rather than 401
            let r = send(
                &t,
                path,
                Req::post(path).header("accept", accept).json(&json!({})),
            )
            .await;
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
            let r = send(
                &t,
                path,
                Req::post(path).header("accept", accept).json(&json!({})),
            )
            .await;
            assert_ne!(r.status, 406, "{path} {accept}");
            assert_eq!(
                r.header("content-type"),
                Some("application/json"),
                "always JSON"
            );
        }
    }
}
