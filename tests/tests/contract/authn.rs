//! API.md "Authenticating a request": the order, and every error.

use base64::Engine;
use integration_tests::auth::base::time::now;
use integration_tests::auth::store::{Session, SessionStore};
use integration_tests::{ALICE_PASSWORD, Req, Resp, TestApp, call, spawn_app};
use serde_json::{Value, json};

use crate::helpers::*;

async fn info_with(t: &TestApp, req: Req) -> Resp {
    let r = call!(info, t, req);
    if r.status == 401 {
        assert_challenge(&r, "Basic");
    }
    r
}

/// Asserts that `info` answers `req` with 401 and `body`.
async fn assert_refused(t: &TestApp, req: Req, body: Value, case: &str) {
    let r = info_with(t, req).await;
    assert_eq!((r.status, r.json()), (401, body), "{case}");
}

fn authz(value: &str) -> Req {
    Req::get(INFO).header("authorization", value)
}

#[tokio::test]
async fn basic_comes_first_and_a_bad_one_stops_the_search() {
    let t = spawn_app().await;
    let (key, _) = session_of_alice(&t).await;
    // bad Basic + good session: the Basic error wins
    let r = info_with(
        &t,
        Req::get(INFO)
            .basic("alice", "wrong")
            .cookie("sessionid", &key),
    )
    .await;
    r.assert(401, r#"{"detail":"Invalid username/password."}"#);
    // good Basic for bob + alice's session: Basic decides
    let r = info_with(
        &t,
        Req::get(INFO)
            .basic("bob", integration_tests::BOB_PASSWORD)
            .cookie("sessionid", &key),
    )
    .await;
    r.assert(200, r#"{"id":2,"username":"bob"}"#);
}

#[tokio::test]
async fn basic_header_errors() {
    let t = spawn_app().await;
    deactivate(&t, t.bob.id).await;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    for (header, detail) in [
        (
            "Basic".to_owned(),
            "Invalid basic header. No credentials provided.",
        ),
        (
            "Basic a b".to_owned(),
            "Invalid basic header. Credentials string should not contain spaces.",
        ),
        (
            "Basic !!!!".to_owned(),
            "Invalid basic header. Credentials not correctly base64 encoded.",
        ),
        (
            format!("Basic {}", b64("no-colon")),
            "Invalid basic header. Credentials not correctly base64 encoded.",
        ),
        (
            format!("Basic {}", b64("alice:wrong")),
            "Invalid username/password.",
        ),
        (
            format!("Basic {}", b64("nobody:x")),
            "Invalid username/password.",
        ),
        (
            format!(
                "Basic {}",
                b64(&format!("bob:{}", integration_tests::BOB_PASSWORD))
            ),
            "Invalid username/password.",
        ),
        // not UTF-8: read as Latin-1, then simply a wrong user
        ("Basic /zr/".to_owned(), "Invalid username/password."),
    ] {
        assert_refused(&t, authz(&header), json!({ "detail": detail }), &header).await;
    }
    // the scheme word is case-insensitive for Basic (as DRF)
    let r = info_with(
        &t,
        authz(&format!(
            "basic {}",
            b64(&format!("alice:{ALICE_PASSWORD}"))
        )),
    )
    .await;
    r.assert(200, ALICE);
}

#[tokio::test]
async fn session_comes_before_token_and_bearer() {
    let t = spawn_app().await;
    let (key, _) = session_of_alice(&t).await;
    let r = info_with(&t, authz("Token abc").cookie("sessionid", &key)).await;
    r.assert(200, ALICE);
    let r = info_with(&t, authz("Bearer garbage").cookie("sessionid", &key)).await;
    r.assert(200, ALICE);
}

#[tokio::test]
async fn drf_tokens_do_not_exist() {
    let t = spawn_app().await;
    for (header, detail) in [
        ("Token", "Invalid token header. No credentials provided."),
        (
            "Token a b",
            "Invalid token header. Token string should not contain spaces.",
        ),
        (
            "Token 401f7ac837da42b97f613d789819ff93537bee6a",
            "Invalid token.",
        ),
        ("token abc", "Invalid token."),
    ] {
        assert_refused(&t, authz(header), json!({ "detail": detail }), header).await;
    }
}

fn messages(message: &str) -> Value {
    json!({
        "detail": "Given token not valid for any token type",
        "code": "token_not_valid",
        "messages": [{"token_class": "AccessToken", "token_type": "access", "message": message}]
    })
}

#[tokio::test]
async fn bearer_errors() {
    let t = spawn_app().await;
    let (refresh, _) = pair_of_alice(&t).await;
    let mut no_exp = access_claims(json!("1"));
    no_exp.as_object_mut().unwrap().remove("exp");
    let mut no_jti = access_claims(json!("1"));
    no_jti.as_object_mut().unwrap().remove("jti");
    let mut no_type = access_claims(json!("1"));
    no_type.as_object_mut().unwrap().remove("token_type");
    let mut no_user = access_claims(json!("1"));
    no_user.as_object_mut().unwrap().remove("user_id");
    let mut expired = access_claims(json!("1"));
    expired["exp"] = json!(now());
    let invalid = messages("Token is invalid or expired");
    let cases: Vec<(String, Value)> = vec![
        (
            "Bearer".into(),
            json!({"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}),
        ),
        (
            "Bearer a b".into(),
            json!({"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}),
        ),
        ("Bearer garbage".into(), invalid.clone()),
        (
            format!(
                "Bearer {}",
                sign_with(
                    "another key that is long enough to use!",
                    access_claims(json!("1"))
                )
            ),
            invalid.clone(),
        ),
        (format!("Bearer {}", sign(expired)), invalid.clone()),
        (
            format!("Bearer {refresh}"),
            messages("Token has wrong type"),
        ),
        (
            format!("Bearer {}", sign(no_exp)),
            messages("Token has no 'exp' claim"),
        ),
        (
            format!("Bearer {}", sign(no_jti)),
            messages("Token has no id"),
        ),
        (
            format!("Bearer {}", sign(no_type)),
            messages("Token has no type"),
        ),
        (
            format!("Bearer {}", sign(no_user)),
            json!({"detail":"Token contained no recognizable user identification","code":"token_not_valid"}),
        ),
        (
            format!("Bearer {}", sign(access_claims(json!("99")))),
            json!({"detail":"User not found","code":"user_not_found"}),
        ),
        (
            format!("Bearer {}", sign(access_claims(json!(99)))),
            json!({"detail":"User not found","code":"user_not_found"}),
        ),
    ];
    for (header, body) in cases {
        assert_refused(&t, authz(&header), body, &header).await;
    }
    deactivate(&t, t.bob.id).await;
    let r = info_with(&t, Req::get(INFO).bearer(&sign(access_claims(json!("2"))))).await;
    assert_eq!(
        r.json(),
        json!({"detail":"User is inactive","code":"user_inactive"})
    );
}

#[tokio::test]
async fn bearer_user_id_may_be_a_string_or_a_number() {
    let t = spawn_app().await;
    for id in [json!("1"), json!(1)] {
        let r = info_with(&t, Req::get(INFO).bearer(&sign(access_claims(id)))).await;
        r.assert(200, ALICE);
    }
}

#[tokio::test]
async fn the_scheme_word_is_case_sensitive_for_bearer() {
    let t = spawn_app().await;
    let (_, access) = pair_of_alice(&t).await;
    let r = info_with(&t, authz(&format!("bearer {access}"))).await;
    r.assert(401, NOT_PROVIDED);
    let r = info_with(&t, authz(&format!("BEARER {access}"))).await;
    r.assert(401, NOT_PROVIDED);
}

#[tokio::test]
async fn jwt_auth_errors() {
    let t = spawn_app().await;
    deactivate(&t, t.bob.id).await;
    let n = now();
    let hs512 = {
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"alg":"HS512","typ":"JWT"}"#);
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(json!({"id":1,"exp":n+60}).to_string());
        format!("{header}.{payload}.c2lnbmF0dXJl")
    };
    let cases = [
        ("garbage".to_owned(), "Error decoding token"),
        (
            sign_with(
                "another key that is long enough to use!",
                json!({"id":1,"exp":n+60}),
            ),
            "Error decoding token",
        ),
        (hs512, "Error decoding token"),
        (
            sign(json!({"id":1,"exp":n+60,"nbf":n+30})),
            "Error decoding token",
        ),
        (
            sign(json!({"id":1,"exp":n+60,"iat":n+30})),
            "Error decoding token",
        ),
        (sign(json!({"id":1,"exp":n})), "Token has expired"),
        (sign(json!({"id":1,"exp":n-100})), "Token has expired"),
        (
            sign(json!({"username":"alice","exp":n+60})),
            "Invalid Token",
        ),
        (sign(json!({"id":0,"exp":n+60})), "Invalid Token"),
        (sign(json!({"id":"abc","exp":n+60})), "Invalid Token"),
        (sign(json!({"id":1})), "Invalid Token"),
        (sign(json!({"id":99,"exp":n+60})), "User not found"),
        (sign(json!({"id":2,"exp":n+60})), "User not found"),
    ];
    for (token, detail) in cases {
        let req = Req::get(INFO).header("jwt-auth", &token);
        assert_refused(&t, req, json!({ "detail": detail }), &token).await;
    }
    let r = info_with(
        &t,
        Req::get(INFO).header("jwt-auth", &sign(json!({"id":"1","exp":n+60}))),
    )
    .await;
    r.assert(200, ALICE);
}

#[tokio::test]
async fn dead_sessions_count_as_absent_and_their_cookie_is_deleted() {
    let t = spawn_app().await;
    let expired = "expiredsessionexpiredsession0000";
    t.app
        .store
        .create_session(
            &Session {
                session_key: expired.into(),
                user_id: 1,
                auth_hash: t.app.sessions.hash(t.alice.id, t.alice.generation),
                expires_at: now() - 1,
                amr: vec![],
            },
            None,
        )
        .await
        .unwrap();
    for key in [
        expired,
        "nosuchsessionnosuchsession000000",
        "short",
        "UPPERCASE",
    ] {
        let r = info_with(&t, Req::get(INFO).cookie("sessionid", key)).await;
        r.assert(401, NOT_PROVIDED);
        assert_eq!(r.set_cookies(), vec![DELETION], "{key}");
    }
    // the search goes on past a dead session
    let (_, access) = pair_of_alice(&t).await;
    let r = info_with(
        &t,
        Req::get(INFO).bearer(&access).cookie("sessionid", expired),
    )
    .await;
    r.assert(200, ALICE);
    assert_eq!(r.set_cookies(), vec![DELETION]);
}

/// API.md: "A session stops working when the user's password changes"
/// (Django flushes it): on every route that reads sessions, the session is
/// deleted server-side and its cookie deleted.
#[tokio::test]
async fn a_session_whose_password_changed_is_flushed_on_every_route() {
    use integration_tests::ROUTES;
    use integration_tests::auth::web::Auth;
    for route in ROUTES.iter().filter(|r| r.auth != Auth::None) {
        let t = spawn_app().await;
        let (key, csrf) = session_of_alice(&t).await;
        set_password(&t, t.alice.id, "a new password for alice").await;
        let req = Req::new(route.method(), route.path).session_with_csrf(&key, &csrf);
        let r = Resp::from_response(route.invoke(&t.app, req.build()).await);
        assert!(
            r.set_cookies().contains(&DELETION),
            "{}: {} {:?}",
            route.path,
            r.status,
            r.set_cookies()
        );
        assert!(
            t.app.store.session(&key).await.unwrap().is_none(),
            "{}: the session is gone",
            route.path
        );
    }
}

#[tokio::test]
async fn inactive_users_cannot_use_their_sessions() {
    let t = spawn_app().await;
    let (key, _) = session_of_alice(&t).await;
    deactivate(&t, t.alice.id).await;
    let r = info_with(&t, Req::get(INFO).cookie("sessionid", &key)).await;
    r.assert(401, NOT_PROVIDED);
    let r = info_with(&t, Req::get(INFO).basic("alice", ALICE_PASSWORD)).await;
    r.assert(401, r#"{"detail":"Invalid username/password."}"#);
}

#[tokio::test]
async fn an_empty_jwt_auth_header_counts_as_nothing() {
    let t = spawn_app().await;
    let r = info_with(&t, Req::get(INFO).header("jwt-auth", "")).await;
    r.assert(401, NOT_PROVIDED);
}
