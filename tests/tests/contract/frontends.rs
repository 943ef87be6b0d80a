//! Frontends on their own origin (docs/API.md "Browser frontends"): CORS,
//! no Basic challenge for scripts, login CSRF, `Cache-Control: no-store`,
//! Django's cookie settings and the refresh token in an HttpOnly cookie.
//! With none of their settings, nothing here changes a response (the
//! default cases, and every other module's tests).

use integration_tests::auth::settings::Settings;
use integration_tests::{ROUTES, spawn_app, spawn_app_with};

use crate::helpers::*;

const SPA: &str = "http://localhost:3000";
const EVIL: &str = "http://evil.example";
const CORS: &[(&str, &str)] = &[("CORS_ALLOWED_ORIGINS", SPA)];
const COOKIE: &[(&str, &str)] = &[("JWT_AUTH_REFRESH_COOKIE", "refresh")];

/// Runs `req` through the function serving `route`.
async fn send(t: &TestApp, route: &Route, req: Req) -> Resp {
    Resp::from_response(route.invoke(&t.app, req.build()).await)
}

fn cors_headers(r: &Resp) -> Vec<(&str, &str)> {
    r.headers
        .iter()
        .filter(|(k, _)| k.starts_with("access-control-"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn bad_origin(origin: &str) -> String {
    json!({
        "detail": format!("CSRF Failed: Origin checking failed - {origin} does not match any trusted origins.")
    })
    .to_string()
}

// -- CORS -------------------------------------------------------------------

#[tokio::test]
async fn without_cors_settings_no_response_has_a_cors_header() {
    let t = spawn_app().await;
    for route in ROUTES.iter() {
        for req in [
            Req::new(route.method(), route.path).header("origin", SPA),
            Req::new("OPTIONS", route.path)
                .header("origin", SPA)
                .header("access-control-request-method", route.method()),
        ] {
            let r = send(&t, route, req).await;
            assert_eq!(cors_headers(&r), [], "{}", route.path);
            assert!(!r.header("vary").unwrap().contains("Origin"));
        }
    }
}

#[tokio::test]
async fn an_allowed_origin_gets_the_grant_on_every_endpoint_and_answer() {
    let t = spawn_app_with(CORS).await;
    for route in ROUTES.iter() {
        // a success, an error, and a 401 alike
        let r = send(
            &t,
            route,
            Req::new(route.method(), route.path).header("origin", SPA),
        )
        .await;
        assert_eq!(
            cors_headers(&r),
            [
                ("access-control-allow-origin", SPA),
                ("access-control-allow-credentials", "true")
            ],
            "{} {}",
            route.path,
            r.status
        );
        assert!(
            r.header("vary").unwrap().ends_with(", Origin"),
            "{}",
            route.path
        );
    }
}

#[tokio::test]
async fn other_origins_get_no_grant_but_the_answer_varies_by_origin() {
    let t = spawn_app_with(CORS).await;
    let route = Route::at(VERIFY);
    for origin in [
        EVIL,
        "null",
        "http://localhost:3000/",
        "http://LOCALHOST:3000",
        "https://localhost:3000",
        "http://localhost:30000",
        "http://localhost:3000, http://evil.example",
        "",
    ] {
        let req = Req::post(VERIFY).header("origin", origin).json(&json!({}));
        let r = send(&t, route, req).await;
        assert_eq!(r.status, 400, "{origin:?}");
        assert_eq!(cors_headers(&r), [], "{origin:?}");
        assert_eq!(r.header("vary"), Some("Accept, Origin"));
    }
    // two Origin headers arrive joined: not one allowed origin
    let req = Req::post(VERIFY)
        .header("origin", SPA)
        .header("origin", SPA)
        .json(&json!({}));
    assert_eq!(cors_headers(&send(&t, route, req).await), []);
    // no Origin at all: the contract's answer, varying by Origin
    let r = send(&t, route, Req::post(VERIFY).json(&json!({}))).await;
    r.assert(400, r#"{"token":["This field is required."]}"#);
    assert_eq!(cors_headers(&r), []);
}

#[tokio::test]
async fn preflights_from_an_allowed_origin_are_answered_before_authentication() {
    let t = spawn_app_with(CORS).await;
    for route in ROUTES.iter() {
        let preflight = Req::new("OPTIONS", route.path)
            .header("origin", SPA)
            .header("access-control-request-method", route.method())
            .header(
                "access-control-request-headers",
                "authorization, content-type, jwt-auth, x-csrftoken",
            );
        // no credentials, even where the endpoint needs a caller
        let r = send(&t, route, preflight).await;
        r.assert(200, "");
        assert_eq!(
            cors_headers(&r),
            [
                ("access-control-allow-origin", SPA),
                ("access-control-allow-credentials", "true"),
                ("access-control-allow-methods", route.serves.allow()),
                (
                    "access-control-allow-headers",
                    "accept, authorization, content-type, jwt-auth, user-agent, x-csrftoken, x-requested-with"
                ),
                ("access-control-max-age", "86400"),
            ],
            "{}",
            route.path
        );
        assert_security_headers(&r);
    }
}

#[tokio::test]
async fn preflights_for_other_methods_headers_or_origins_get_no_grant() {
    let t = spawn_app_with(CORS).await;
    let preflight = |path: &str, origin: &str, method: &str, headers: &str| {
        Req::new("OPTIONS", path)
            .header("origin", origin)
            .header("access-control-request-method", method)
            .header("access-control-request-headers", headers)
    };
    for (path, method, headers) in [
        (OBTAIN, "DELETE", "content-type"),
        (OBTAIN, "post", "content-type"),
        (INFO, "POST", ""),
        (OBTAIN, "POST", "x-evil"),
        (OBTAIN, "POST", "content-type, cookie"),
    ] {
        let r = send(&t, Route::at(path), preflight(path, SPA, method, headers)).await;
        r.assert(200, "");
        assert_eq!(cors_headers(&r), [], "{path} {method} {headers}");
    }
    // from another origin: an ordinary OPTIONS (DRF's metadata, or the 401
    // of an endpoint that needs a caller), without any grant
    let r = send(&t, Route::at(OBTAIN), preflight(OBTAIN, EVIL, "POST", "")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["name"], "Token Obtain Pair");
    assert_eq!(cors_headers(&r), []);
    let r = send(&t, Route::at(INFO), preflight(INFO, EVIL, "GET", "")).await;
    r.assert(401, NOT_PROVIDED);
    assert_eq!(cors_headers(&r), []);
    // a plain OPTIONS from the allowed origin: the metadata, with the grant
    let r = send(
        &t,
        Route::at(OBTAIN),
        Req::new("OPTIONS", OBTAIN).header("origin", SPA),
    )
    .await;
    assert_eq!(r.json()["name"], "Token Obtain Pair");
    assert_eq!(r.header("access-control-allow-origin"), Some(SPA));
    assert_eq!(r.header("access-control-allow-methods"), None);
}

#[tokio::test]
async fn cors_settings_are_django_cors_headers() {
    let t = spawn_app_with(&[
        (
            "CORS_ALLOWED_ORIGINS",
            "https://app.example.com, http://localhost:3000",
        ),
        ("CORS_ALLOW_CREDENTIALS", "false"),
        ("CORS_ALLOW_HEADERS", "Content-Type, X-CSRFToken"),
        ("CORS_PREFLIGHT_MAX_AGE", "600"),
    ])
    .await;
    let r = send(
        &t,
        Route::at(OBTAIN),
        Req::new("OPTIONS", OBTAIN)
            .header("origin", "https://app.example.com")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type,x-csrftoken"),
    )
    .await;
    assert_eq!(
        cors_headers(&r),
        [
            ("access-control-allow-origin", "https://app.example.com"),
            ("access-control-allow-methods", "POST, OPTIONS"),
            ("access-control-allow-headers", "content-type, x-csrftoken"),
            ("access-control-max-age", "600"),
        ]
    );
    for (name, value) in [
        ("CORS_ALLOWED_ORIGINS", "https://*.example.com"),
        ("CORS_ALLOWED_ORIGINS", "https://app.example.com/"),
        ("CORS_ALLOWED_ORIGINS", "app.example.com"),
        ("CORS_ALLOWED_ORIGINS", "null"),
        ("CORS_PREFLIGHT_MAX_AGE", "a day"),
    ] {
        let refused = Settings::from_lookup(|k| match k {
            "SIGNING_KEY" => Some(SIGNING_KEY.to_owned()),
            k if k == name => Some(value.to_owned()),
            _ => None,
        });
        assert!(refused.is_err(), "{name}={value} accepted");
    }
}

// -- No login dialog ----------------------------------------------------------

#[tokio::test]
async fn a_401_to_a_page_carries_no_basic_challenge() {
    let t = spawn_app_with(CORS).await;
    let challenge = |r: &Resp| r.header("www-authenticate").map(str::to_owned);
    for route in ROUTES
        .iter()
        .filter(|r| r.auth == integration_tests::auth::web::Auth::Required)
    {
        let bare = Req::new(route.method(), route.path);
        let r = send(&t, route, bare.clone()).await;
        r.assert(401, NOT_PROVIDED);
        assert_eq!(
            challenge(&r).as_deref(),
            Some(r#"Basic realm="api""#),
            "no Origin: the contract"
        );
        let r = send(&t, route, bare.clone().header("origin", EVIL)).await;
        assert_eq!(
            challenge(&r).as_deref(),
            Some(r#"Basic realm="api""#),
            "a foreign page"
        );
        let r = send(&t, route, bare.clone().header("origin", SPA)).await;
        r.assert(401, NOT_PROVIDED);
        assert_eq!(challenge(&r), None, "{}: the allowed page", route.path);
        let r = send(&t, route, bare.header("x-requested-with", "XMLHttpRequest")).await;
        assert_eq!(
            challenge(&r).as_deref(),
            Some(r#"Basic realm="api""#),
            "setting off"
        );
    }
    // the simplejwt views' Bearer challenge opens no dialog: kept
    let r = send(
        &t,
        Route::at(REFRESH),
        refresh_req("garbage").header("origin", SPA),
    )
    .await;
    assert_eq!(r.header("www-authenticate"), Some(r#"Bearer realm="api""#));
    let t = spawn_app_with(&[("XHR_OMITS_BASIC_CHALLENGE", "true")]).await;
    let xhr = Req::get(INFO).header("x-requested-with", "XMLHttpRequest");
    let r = call!(info, t, xhr);
    r.assert(401, NOT_PROVIDED);
    assert_eq!(r.header("www-authenticate"), None);
    call!(info, t, Req::get(INFO)).assert(401, NOT_PROVIDED);
}

// -- Login CSRF -----------------------------------------------------------------

#[tokio::test]
async fn a_foreign_origin_cannot_log_a_browser_in() {
    let t = spawn_app().await;
    for path in [LOGIN, JWT_LOGIN, OBTAIN] {
        let route = Route::at(path);
        t.calls.take();
        for origin in [
            EVIL,
            "null",
            "https://127.0.0.1:9000",
            "http://127.0.0.1:9001",
        ] {
            let r = send(&t, route, alice_credentials(path).header("origin", origin)).await;
            r.assert(403, &bad_origin(origin));
            assert!(r.set_cookies().is_empty());
        }
        // refused before any password work: not even the throttle counted
        assert_eq!(t.calls.take(), Vec::<String>::new(), "{path}");
        // the API's own origin, and requests without Origin, as before
        let own = alice_credentials(path).header("origin", "http://127.0.0.1:9000");
        assert_eq!(send(&t, route, own).await.status, 200, "{path}");
        assert_eq!(send(&t, route, alice_credentials(path)).await.status, 200);
    }
    // trusted and CORS-allowed origins log in
    let t = spawn_app_with(&[
        ("CSRF_TRUSTED_ORIGINS", "https://app.example.com"),
        ("CORS_ALLOWED_ORIGINS", SPA),
    ])
    .await;
    for origin in ["https://app.example.com", SPA] {
        let r = call!(
            token_obtain_pair,
            t,
            alice_credentials(OBTAIN).header("origin", origin)
        );
        assert_eq!(r.status, 200, "{origin}");
    }
}

// -- Cache-Control ------------------------------------------------------------

#[tokio::test]
async fn responses_with_tokens_or_credential_cookies_are_never_stored() {
    let t = spawn_app().await;
    let no_store = |r: &Resp| {
        (r.header("cache-control"), r.header("pragma")) == (Some("no-store"), Some("no-cache"))
    };
    let login = call!(login, t, alice_credentials(LOGIN));
    let jwt = call!(jwt_login, t, alice_credentials(JWT_LOGIN));
    let obtain = call!(token_obtain_pair, t, alice_credentials(OBTAIN));
    let (refresh, access) = pair_of_alice(&t).await;
    let refreshed = refresh_with(&t, &refresh).await;
    for (what, r) in [
        ("login", &login),
        ("login/jwt", &jwt),
        ("obtain", &obtain),
        ("refresh", &refreshed),
    ] {
        assert_eq!(r.status, 200, "{what}");
        assert!(no_store(r), "{what}: {:?}", r.headers);
    }
    // errors and answers without a credential may be cached by nobody's rule
    let verified = call!(token_verify, t, verify_req(&access));
    let info = call!(info, t, Req::get(INFO).bearer(&access));
    let wrong = call!(token_obtain_pair, t, credentials(OBTAIN, "alice", "wrong"));
    for (what, r) in [
        ("verify", &verified),
        ("info", &info),
        ("wrong password", &wrong),
    ] {
        assert_eq!(r.header("cache-control"), None, "{what}");
        assert_eq!(r.header("pragma"), None, "{what}");
    }
}

// -- Cookie settings -----------------------------------------------------------

#[tokio::test]
async fn cookie_settings_shape_the_session_and_csrf_cookies_as_django_does() {
    let t = spawn_app_with(&[
        ("SESSION_COOKIE_SAMESITE", "Strict"),
        ("SESSION_COOKIE_DOMAIN", ".example.com"),
        ("CSRF_COOKIE_SAMESITE", "None"),
        ("CSRF_COOKIE_SECURE", "true"),
        ("CSRF_COOKIE_DOMAIN", ".example.com"),
    ])
    .await;
    let r = call!(login, t, alice_credentials(LOGIN));
    let cookies = r.set_cookies();
    assert_eq!(cookies.len(), 2);
    let (csrf, session) = (cookies[0], cookies[1]);
    assert!(csrf.starts_with("csrftoken=") && csrf.contains("; Domain=.example.com; expires="));
    assert!(
        csrf.ends_with("; Max-Age=31449600; Path=/; SameSite=None; Secure"),
        "{csrf}"
    );
    assert!(
        session.starts_with("sessionid=") && session.contains("; Domain=.example.com; expires=")
    );
    assert!(
        session.ends_with("; HttpOnly; Max-Age=1209600; Path=/; SameSite=Strict"),
        "{session}"
    );
    let key = r.cookie("sessionid").unwrap();
    let token = r.cookie("csrftoken").unwrap();
    let logout = Req::post(LOGOUT)
        .cookie("sessionid", &key)
        .cookie("csrftoken", &token)
        .header("x-csrftoken", &token);
    let r = call!(logout, t, logout);
    r.assert(200, "");
    assert_eq!(
        r.set_cookies(),
        [
            r#"sessionid=""; Domain=.example.com; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Strict"#
        ]
    );
}

#[tokio::test]
async fn same_site_none_without_secure_refuses_to_start() {
    let start = |vars: &[(&str, &str)]| {
        Settings::from_lookup(|k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
                .or_else(|| (k == "SIGNING_KEY").then(|| SIGNING_KEY.to_owned()))
        })
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    assert_eq!(
        start(&[("SESSION_COOKIE_SAMESITE", "None")]),
        Err("SESSION_COOKIE_SAMESITE is None, which browsers accept only with Secure: set SESSION_COOKIE_SECURE=true".into())
    );
    assert!(
        start(&[
            ("CSRF_COOKIE_SAMESITE", "none"),
            ("SESSION_COOKIE_SECURE", "true")
        ])
        .is_ok()
    );
    assert!(
        start(&[
            ("CSRF_COOKIE_SAMESITE", "None"),
            ("CSRF_COOKIE_SECURE", "false"),
            ("SESSION_COOKIE_SECURE", "true")
        ])
        .is_err()
    );
    assert!(start(&[("JWT_AUTH_SAMESITE", "None")]).is_err());
    assert!(start(&[("JWT_AUTH_SAMESITE", "None"), ("JWT_AUTH_SECURE", "true")]).is_ok());
    assert!(start(&[("SESSION_COOKIE_SAMESITE", "Sometimes")]).is_err());
}

// -- The refresh token in an HttpOnly cookie ---------------------------------------

const REFRESH_COOKIE_TAIL: &str =
    "; HttpOnly; Max-Age=86400; Path=/api/v1/users/login/simpleJWT; SameSite=Strict";

/// Obtains a pair in cookie mode: (the refresh cookie, the csrftoken, the access token).
async fn obtain_in_cookie_mode(t: &TestApp) -> (String, String, String) {
    let r = call!(token_obtain_pair, t, alice_credentials(OBTAIN));
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["access"]
    );
    let cookies = r.set_cookies();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert!(cookies[0].starts_with("csrftoken="));
    assert!(
        cookies[1].starts_with("refresh=ey") && cookies[1].ends_with(REFRESH_COOKIE_TAIL),
        "{}",
        cookies[1]
    );
    (
        r.cookie("refresh").unwrap(),
        r.cookie("csrftoken").unwrap(),
        body["access"].as_str().unwrap().to_owned(),
    )
}

/// A refresh-cookie request with the CSRF double submit.
fn with_cookie(path: &str, refresh: &str, csrf: &str) -> Req {
    Req::post(path)
        .cookie("refresh", refresh)
        .cookie("csrftoken", csrf)
        .header("x-csrftoken", csrf)
}

#[tokio::test]
async fn in_cookie_mode_obtain_refresh_and_blacklist_use_the_cookie() {
    let t = spawn_app_with(COOKIE).await;
    let (refresh, csrf, access) = obtain_in_cookie_mode(&t).await;
    call!(info, t, Req::get(INFO).bearer(&access)).assert(200, r#"{"id":1,"username":"alice"}"#);
    // refresh from the cookie, with the CSRF double submit
    let r = call!(token_refresh, t, with_cookie(REFRESH, &refresh, &csrf));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json().as_object().unwrap().keys().collect::<Vec<_>>(),
        ["access"]
    );
    assert!(r.set_cookies().is_empty(), "no rotation: the cookie stays");
    // a body token needs no CSRF check, and wins over the cookie
    let r = call!(
        token_refresh,
        t,
        Req::post(REFRESH)
            .cookie("refresh", "garbage")
            .json(&json!({"refresh": refresh}))
    );
    assert_eq!(r.status, 200);
    // blacklist from the cookie deletes it
    let r = call!(token_blacklist, t, with_cookie(BLACKLIST, &refresh, &csrf));
    r.assert(200, "{}");
    assert_eq!(
        r.set_cookies(),
        [
            r#"refresh=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/api/v1/users/login/simpleJWT; SameSite=Strict"#
        ]
    );
    let r = call!(token_refresh, t, with_cookie(REFRESH, &refresh, &csrf));
    r.assert(
        401,
        r#"{"detail":"Token is blacklisted","code":"token_not_valid"}"#,
    );
}

#[tokio::test]
async fn a_refresh_cookie_must_pass_the_csrf_check() {
    let t = spawn_app_with(COOKIE).await;
    let (refresh, csrf, _) = obtain_in_cookie_mode(&t).await;
    for (path, function) in [(REFRESH, "token-refresh"), (BLACKLIST, "token-blacklist")] {
        let cases = [
            (
                Req::post(path)
                    .cookie("refresh", &refresh)
                    .cookie("csrftoken", &csrf),
                "CSRF Failed: CSRF token missing.",
            ),
            (
                Req::post(path)
                    .cookie("refresh", &refresh)
                    .header("x-csrftoken", &csrf),
                "CSRF Failed: CSRF cookie not set.",
            ),
            (
                with_cookie(path, &refresh, &csrf).header("origin", EVIL),
                "CSRF Failed: Origin checking failed - http://evil.example does not match any trusted origins.",
            ),
            (
                Req::post(path)
                    .cookie("refresh", &refresh)
                    .cookie("csrftoken", &csrf)
                    .header(
                        "x-csrftoken",
                        &integration_tests::auth::policy::csrf::new_secret(),
                    ),
                "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect.",
            ),
        ];
        for (req, detail) in cases {
            let r = invoke(function, &t, req.build()).await;
            r.assert(403, &json!({ "detail": detail }).to_string());
        }
    }
    // still valid after all that
    call!(token_refresh, t, with_cookie(REFRESH, &refresh, &csrf)).json()["access"]
        .as_str()
        .unwrap();
}

#[tokio::test]
async fn garbage_or_two_refresh_cookies_are_an_invalid_token() {
    let t = spawn_app_with(COOKIE).await;
    let (refresh, csrf, _) = obtain_in_cookie_mode(&t).await;
    let invalid = r#"{"detail":"Token is invalid or expired","code":"token_not_valid"}"#;
    call!(token_refresh, t, with_cookie(REFRESH, "garbage", &csrf)).assert(401, invalid);
    let two = with_cookie(REFRESH, &refresh, &csrf).cookie("refresh", &refresh);
    call!(token_refresh, t, two).assert(401, invalid);
    let r = call!(token_blacklist, t, with_cookie(BLACKLIST, "", &csrf));
    r.assert(401, invalid);
}

#[tokio::test]
async fn rotation_password_change_and_logout_everywhere_keep_the_cookie_current() {
    let t = rotating_app(COOKIE).await;
    let (refresh, csrf, access) = obtain_in_cookie_mode(&t).await;
    let r = call!(token_refresh, t, with_cookie(REFRESH, &refresh, &csrf));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json().as_object().unwrap().keys().collect::<Vec<_>>(),
        ["access"]
    );
    let next = r.cookie("refresh").expect("the successor in the cookie");
    assert_ne!(next, refresh);
    call!(token_refresh, t, with_cookie(REFRESH, &next, &csrf))
        .cookie("refresh")
        .unwrap();
    // password change by Bearer: the new refresh token in the cookie only
    let r = call!(
        password_change,
        t,
        Req::post(PASSWORD).bearer(&access).json(
            &json!({"old_password": ALICE_PASSWORD, "new_password": "a fresh passphrase 2026"})
        )
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json().as_object().unwrap().keys().collect::<Vec<_>>(),
        ["access"]
    );
    let renewed = r.cookie("refresh").unwrap();
    let new_access = r.json()["access"].as_str().unwrap().to_owned();
    // logout everywhere deletes the refresh cookie
    let r = call!(
        logout_all,
        t,
        Req::post(LOGOUT_ALL)
            .bearer(&new_access)
            .cookie("refresh", &renewed)
    );
    r.assert(200, "");
    assert_eq!(
        r.set_cookies(),
        [
            r#"refresh=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/api/v1/users/login/simpleJWT; SameSite=Strict"#
        ]
    );
}

#[tokio::test]
async fn refresh_cookie_settings_are_dj_rest_auths() {
    let t = spawn_app_with(&[
        ("JWT_AUTH_REFRESH_COOKIE", "jwt-refresh"),
        ("JWT_AUTH_REFRESH_COOKIE_PATH", "/api/v1/users/"),
        ("JWT_AUTH_HTTPONLY", "false"),
        ("JWT_AUTH_SAMESITE", "Lax"),
        ("JWT_AUTH_SECURE", "true"),
    ])
    .await;
    let r = call!(token_obtain_pair, t, alice_credentials(OBTAIN));
    let body = r.json();
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["refresh", "access"]
    );
    let cookie = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("jwt-refresh="))
        .unwrap();
    assert!(cookie.starts_with(&format!(
        "jwt-refresh={}; expires=",
        body["refresh"].as_str().unwrap()
    )));
    assert!(
        cookie.ends_with("; Max-Age=86400; Path=/api/v1/users/; SameSite=Lax; Secure"),
        "{cookie}"
    );
}

#[tokio::test]
async fn with_the_cookie_off_a_refresh_cookie_is_ignored() {
    let t = spawn_app().await;
    let (refresh, _) = pair_of_alice(&t).await;
    let r = call!(
        token_refresh,
        t,
        Req::post(REFRESH)
            .cookie("refresh", &refresh)
            .json(&json!({}))
    );
    r.assert(400, r#"{"refresh":["This field is required."]}"#);
    let r = call!(token_obtain_pair, t, alice_credentials(OBTAIN));
    assert!(r.set_cookies().is_empty());
    assert_eq!(
        r.json().as_object().unwrap().keys().collect::<Vec<_>>(),
        ["refresh", "access"]
    );
}
