//! API.md "CSRF (as Django's SessionAuthentication)", through `logout`.

use integration_tests::auth::policy::csrf;
use integration_tests::auth::store::SessionStore;
use integration_tests::{Req, TestApp, call, spawn_app, spawn_app_with};

use crate::helpers::*;

async fn logout_with(t: &TestApp, key: &str, f: impl Fn(Req) -> Req) -> (u16, String) {
    let r = call!(logout, t, f(Req::post(LOGOUT).cookie("sessionid", key)));
    (r.status, r.body)
}

fn failed(reason: &str) -> (u16, String) {
    (403, format!(r#"{{"detail":"CSRF Failed: {reason}"}}"#))
}

#[tokio::test]
async fn origin_must_be_the_host_or_trusted() {
    let t = spawn_app().await;
    let (key, token) = session_of_alice(&t).await;
    let with = |origin: &'static str| {
        let token = token.clone();
        move |r: Req| {
            r.cookie("csrftoken", &token)
                .header("x-csrftoken", &token)
                .header("origin", origin)
        }
    };
    assert_eq!(
        logout_with(&t, &key, with("http://evil.example")).await,
        failed("Origin checking failed - http://evil.example does not match any trusted origins.")
    );
    assert_eq!(
        logout_with(&t, &key, with("null")).await,
        failed("Origin checking failed - null does not match any trusted origins.")
    );
    assert!(
        t.app.store.session(&key).await.unwrap().is_some(),
        "a refused request changes nothing"
    );
    assert_eq!(
        logout_with(&t, &key, with("http://127.0.0.1:9000")).await,
        (200, String::new())
    );
}

#[tokio::test]
async fn trusted_origins_are_configurable() {
    let t = spawn_app_with(&[(
        "CSRF_TRUSTED_ORIGINS",
        "https://app.example.com,https://*.example.org",
    )])
    .await;
    for origin in ["https://app.example.com", "https://x.example.org"] {
        let (key, token) = session_of_alice(&t).await;
        let (status, _) = logout_with(&t, &key, |r| {
            r.cookie("csrftoken", &token)
                .header("x-csrftoken", &token)
                .header("origin", origin)
        })
        .await;
        assert_eq!(status, 200, "{origin}");
    }
    let (key, token) = session_of_alice(&t).await;
    let (status, _) = logout_with(&t, &key, |r| {
        r.cookie("csrftoken", &token)
            .header("x-csrftoken", &token)
            .header("origin", "https://example.com")
    })
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn cookie_header_and_token_checks_in_djangos_order() {
    let t = spawn_app().await;
    let (key, token) = session_of_alice(&t).await;
    let other = csrf::new_secret();
    // a masked token of the wrong secret
    let masked_other = csrf::mask(&other);
    let incorrect = "CSRF token from the 'X-Csrftoken' HTTP header incorrect.";
    // (csrftoken cookie, X-CSRFToken header, why it fails)
    let cases: [(Option<&str>, Option<&str>, &str); 6] = [
        (None, Some(&token), "CSRF cookie not set."),
        (Some(&token), None, "CSRF token missing."),
        (
            Some(&token),
            Some("short"),
            "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length.",
        ),
        (Some(&token), Some(&other), incorrect),
        (Some(&token), Some(&masked_other), incorrect),
        (
            Some("bad!"),
            Some(&token),
            "CSRF cookie has incorrect length.",
        ),
    ];
    for (cookie, header, reason) in cases {
        let sent = |r: Req| {
            let r = match cookie {
                Some(c) => r.cookie("csrftoken", c),
                None => r,
            };
            match header {
                Some(h) => r.header("x-csrftoken", h),
                None => r,
            }
        };
        assert_eq!(logout_with(&t, &key, sent).await, failed(reason));
    }
    assert!(t.app.store.session(&key).await.unwrap().is_some());
    // Django's masked form of the right secret passes
    let masked = csrf::mask(&token);
    assert_eq!(
        logout_with(&t, &key, |r| r
            .cookie("csrftoken", &token)
            .header("x-csrftoken", &masked))
        .await,
        (200, String::new())
    );
}

#[tokio::test]
async fn a_form_posts_its_token_in_csrfmiddlewaretoken() {
    let t = spawn_app().await;
    let (key, token) = session_of_alice(&t).await;
    for (posted, answer) in [
        ("x", failed("CSRF token from POST has incorrect length.")),
        (token.as_str(), (200, String::new())),
    ] {
        let form = |r: Req| {
            r.cookie("csrftoken", &token)
                .form(&[("csrfmiddlewaretoken", posted)])
        };
        assert_eq!(logout_with(&t, &key, form).await, answer);
    }
}

#[tokio::test]
async fn https_requests_without_origin_need_a_matching_referer() {
    let t = spawn_app().await;
    let (key, token) = session_of_alice(&t).await;
    let secure = |referer: Option<&'static str>| {
        let token = token.clone();
        move |r: Req| {
            let r = r
                .cookie("csrftoken", &token)
                .header("x-csrftoken", &token)
                .header("x-forwarded-proto", "https");
            match referer {
                Some(v) => r.header("referer", v),
                None => r,
            }
        }
    };
    assert_eq!(
        logout_with(&t, &key, secure(None)).await,
        failed("Referer checking failed - no Referer.")
    );
    assert_eq!(
        logout_with(&t, &key, secure(Some("http://127.0.0.1:9000/"))).await,
        failed("Referer checking failed - Referer is insecure while host is secure.")
    );
    assert_eq!(
        logout_with(&t, &key, secure(Some("https://evil.example/"))).await,
        failed(
            "Referer checking failed - https://evil.example/ does not match any trusted origins."
        )
    );
    assert_eq!(
        logout_with(&t, &key, secure(Some("https://127.0.0.1:9000/app"))).await,
        (200, String::new())
    );
}

#[tokio::test]
async fn safe_methods_and_token_callers_need_no_csrf() {
    let t = spawn_app().await;
    let (key, _) = session_of_alice(&t).await;
    let r = call!(
        info,
        t,
        Req::get(INFO)
            .cookie("sessionid", &key)
            .header("origin", "http://evil.example")
    );
    assert_eq!(r.status, 200);
    let (_, access) = pair_of_alice(&t).await;
    let r = call!(
        logout,
        t,
        Req::post(LOGOUT)
            .bearer(&access)
            .header("origin", "http://evil.example")
    );
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn a_malformed_csrf_cookie_is_replaced() {
    let t = spawn_app().await;
    let r = call!(
        token_verify,
        t,
        Req::post(VERIFY)
            .cookie("csrftoken", "bad")
            .form(&[("token", "x")])
    );
    let set = r.set_cookies();
    assert_eq!(set.len(), 1, "{set:?}");
    let fresh = r.cookie("csrftoken").unwrap();
    assert_eq!(fresh.len(), 32);
    assert!(set[0].ends_with("; Max-Age=31449600; Path=/; SameSite=Lax"));
    assert_eq!(
        r.header("vary"),
        Some("Accept, Cookie"),
        "Django varies on Cookie when it sets one"
    );
}
