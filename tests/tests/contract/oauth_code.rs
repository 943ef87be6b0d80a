//! The OAuth provider's authorization-code flow: `oauth/authorize` with
//! the browser's session, then `oauth/token` with PKCE; the negative cases
//! of the OpenID conformance suite's kind.

use integration_tests::auth::base::time::now;
use integration_tests::auth::model::client::{Grant, OAuthClient};
use integration_tests::auth::model::code::AuthorizationCode;
use integration_tests::auth::store::ClientStore;
use integration_tests::{TEST_ISSUER, spawn_app_with, token_header};

use crate::helpers::*;
use crate::oauth::{OAUTH_ON, register};

/// RFC 7636 Appendix B's verifier and its S256 challenge.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub const CALLBACK: &str = "https://client.example.com/callback";

/// A public client (a SPA) registered for the code flow (no refresh tokens).
pub async fn spa(t: &TestApp, first_party: bool) -> String {
    spa_with(t, first_party, &[Grant::AuthorizationCode]).await
}

/// A public client (a SPA) registered for `grants`.
pub async fn spa_with(t: &TestApp, first_party: bool, grants: &[Grant]) -> String {
    let client = OAuthClient {
        client_id: integration_tests::auth::credentials::oauth::new_client_id(),
        name: "Example app".into(),
        secret_hash: None,
        redirect_uris: vec![CALLBACK.into(), "com.example.app:/cb".into()],
        first_party,
        scopes: vec!["openid".into(), "profile".into(), "read".into()],
        grants: grants.to_vec(),
        created: now(),
    };
    assert!(t.app.store.add_client(&client).await.unwrap());
    client.client_id
}

/// An authorization request's parameters for `client`, with `changes`
/// replacing (or, with an empty value, removing) the defaults.
pub fn authorize_params<'a>(
    client: &'a str,
    changes: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client),
        ("redirect_uri", CALLBACK),
        ("scope", "openid read"),
        ("state", "af0ifjsldkj"),
        ("nonce", "n-0S6_WzA2Mj"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in changes {
        params.retain(|(n, _)| n != name);
        if !value.is_empty() {
            params.push((name, value));
        }
    }
    params
}

pub fn authorize(params: &[(&str, &str)], session: Option<&str>) -> Req {
    let req = Req::get(OAUTH_AUTHORIZE).query(params);
    match session {
        Some(key) => req.cookie("sessionid", key),
        None => req,
    }
}

/// The query of a redirect's `Location`, after asserting where it goes.
#[track_caller]
pub fn redirected_to(r: &Resp, to: &str) -> Vec<(String, String)> {
    assert_eq!(r.status, 302, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let location = r.header("location").expect("Location");
    let (base, query) = location.split_once('?').expect("a query");
    assert_eq!(base, to, "{location}");
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The code a logged-in alice gets for `client`.
pub async fn code_for(t: &TestApp, client: &str, session: &str) -> String {
    let r = call!(
        oauth_authorize,
        t,
        authorize(&authorize_params(client, &[]), Some(session))
    );
    let query = redirected_to(&r, CALLBACK);
    param(&query, "code").expect("a code").to_owned()
}

pub fn exchange(client: &str, code: &str, verifier: &str) -> Req {
    Req::post(OAUTH_TOKEN).form(&[
        ("grant_type", "authorization_code"),
        ("client_id", client),
        ("code", code),
        ("redirect_uri", CALLBACK),
        ("code_verifier", verifier),
    ])
}

#[track_caller]
pub fn assert_invalid_grant(r: &Resp) {
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["error"], json!("invalid_grant"), "{}", r.body);
}

#[tokio::test]
async fn a_first_party_client_gets_a_code_for_the_session_and_redeems_it_with_pkce() {
    let t = spawn_app_with(OAUTH_ON).await;
    let client = spa(&t, true).await;
    let (session, _) = session_of_alice(&t).await;
    let logged_in = now();
    let r = call!(
        oauth_authorize,
        t,
        authorize(&authorize_params(&client, &[]), Some(&session))
    );
    let query = redirected_to(&r, CALLBACK);
    assert_eq!(param(&query, "state"), Some("af0ifjsldkj"));
    assert_eq!(param(&query, "iss"), Some(TEST_ISSUER));
    let code = param(&query, "code").unwrap();
    assert_eq!(code.len(), 43);

    let r = call!(oauth_token, t, exchange(&client, code, VERIFIER));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let v = r.json();
    assert_eq!(
        (&v["token_type"], &v["expires_in"], &v["scope"]),
        (&json!("Bearer"), &json!(300), &json!("openid read"))
    );
    assert!(v.get("refresh_token").is_none());
    // The id_token: OpenID Connect Core §2, with the nonce sent.
    let id_token = v["id_token"].as_str().unwrap();
    assert_eq!(token_header(id_token).unwrap()["alg"], json!("ES256"));
    let c = claims(id_token);
    assert_eq!(
        (&c["iss"], &c["sub"], &c["aud"], &c["nonce"], &c["amr"]),
        (
            &json!(TEST_ISSUER),
            &json!("1"),
            &json!(client),
            &json!("n-0S6_WzA2Mj"),
            &json!(["pwd"])
        )
    );
    let auth_time = c["auth_time"].as_i64().unwrap();
    assert!((logged_in - 2..=logged_in + 2).contains(&auth_time), "{c}");
    assert!(
        c.get("token_type").is_none(),
        "an id_token is no access token"
    );
    // The access token: RFC 9068, and one of this service's own.
    let access = v["access_token"].as_str().unwrap();
    assert_eq!(token_header(access).unwrap()["typ"], json!("at+jwt"));
    let a = claims(access);
    assert_eq!(
        (&a["sub"], &a["client_id"], &a["scope"], &a["iss"]),
        (
            &json!("1"),
            &json!(client),
            &json!("openid read"),
            &json!(TEST_ISSUER)
        )
    );
    call!(info, t, Req::get(INFO).bearer(access)).assert(200, ALICE);
    // An id_token is not a Bearer credential.
    let r = call!(info, t, Req::get(INFO).bearer(id_token));
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn a_redirect_uri_not_registered_exactly_is_refused_here_never_redirected() {
    let t = spawn_app_with(OAUTH_ON).await;
    let client = spa(&t, true).await;
    let (session, _) = session_of_alice(&t).await;
    for uri in [
        "https://client.example.com/callbacK",
        "https://client.example.com/callbac",
        "HTTPS://CLIENT.EXAMPLE.COM/callback",
        "https://client.example.com/callback?x=1",
        "https://client.example.com/callback/",
        "https://evil.example.com/callback",
        "",
    ] {
        let params = authorize_params(&client, &[("redirect_uri", uri)]);
        let r = call!(oauth_authorize, t, authorize(&params, Some(&session)));
        assert_eq!(r.status, 400, "{uri}: {}", r.body);
        assert_eq!(r.json()["error"], json!("invalid_request"));
        assert_eq!(r.header("location"), None, "{uri}");
    }
    // An unknown or missing client, or a repeated parameter: the same.
    let mut repeated = authorize_params(&client, &[]);
    repeated.push(("redirect_uri", "https://evil.example.com/callback"));
    for params in [
        authorize_params("nobody", &[]),
        authorize_params(&client, &[("client_id", "")]),
        repeated,
    ] {
        let r = call!(oauth_authorize, t, authorize(&params, Some(&session)));
        assert_eq!((r.status, r.header("location")), (400, None), "{}", r.body);
    }
    // The other registered URI, exactly, is fine.
    let params = authorize_params(&client, &[("redirect_uri", "com.example.app:/cb")]);
    let r = call!(oauth_authorize, t, authorize(&params, Some(&session)));
    assert!(param(&redirected_to(&r, "com.example.app:/cb"), "code").is_some());
}

#[tokio::test]
async fn refusals_go_back_to_the_client_with_state_and_iss() {
    let t = spawn_app_with(OAUTH_ON).await;
    let client = spa(&t, true).await;
    let third_party = spa(&t, false).await;
    let backend = register(&t, true, &[Grant::ClientCredentials], &["read"]).await;
    let (session, _) = session_of_alice(&t).await;
    type Case<'a> = (Vec<(&'a str, &'a str)>, Option<&'a str>, &'a str);
    let cases: Vec<Case> = vec![
        (
            authorize_params(&client, &[("response_type", "token")]),
            Some(&session),
            "unsupported_response_type",
        ),
        (
            authorize_params(&client, &[("response_type", "")]),
            Some(&session),
            "unsupported_response_type",
        ),
        (
            authorize_params(&client, &[("code_challenge", "")]),
            Some(&session),
            "invalid_request",
        ),
        (
            authorize_params(&client, &[("code_challenge_method", "plain")]),
            Some(&session),
            "invalid_request",
        ),
        (
            authorize_params(&client, &[("code_challenge_method", "")]),
            Some(&session),
            "invalid_request",
        ),
        (
            authorize_params(
                &client,
                &[
                    ("code_challenge", VERIFIER),
                    ("code_challenge_method", "plain"),
                ],
            ),
            Some(&session),
            "invalid_request",
        ),
        (
            authorize_params(&client, &[("code_challenge", "short")]),
            Some(&session),
            "invalid_request",
        ),
        (
            authorize_params(&client, &[("scope", "openid admin")]),
            Some(&session),
            "invalid_scope",
        ),
        (
            authorize_params(&client, &[("prompt", "none login")]),
            Some(&session),
            "invalid_request",
        ),
        (
            authorize_params(&client, &[("prompt", "sometimes")]),
            Some(&session),
            "invalid_request",
        ),
        (
            authorize_params(&client, &[("max_age", "-1")]),
            Some(&session),
            "invalid_request",
        ),
        (
            authorize_params(&client, &[("max_age", "soon")]),
            Some(&session),
            "invalid_request",
        ),
        (
            authorize_params(&third_party, &[("prompt", "none")]),
            Some(&session),
            "consent_required",
        ),
        (
            authorize_params(&client, &[("prompt", "none")]),
            None,
            "login_required",
        ),
        (
            authorize_params(&client, &[("prompt", "none")]),
            Some("nosuchsessionnosuchsession000000"),
            "login_required",
        ),
    ];
    for (params, session, error) in cases {
        let r = call!(oauth_authorize, t, authorize(&params, session));
        let query = redirected_to(&r, CALLBACK);
        assert_eq!(param(&query, "error"), Some(error), "{params:?}");
        assert!(param(&query, "error_description").is_some());
        assert_eq!(param(&query, "state"), Some("af0ifjsldkj"), "{params:?}");
        assert_eq!(param(&query, "iss"), Some(TEST_ISSUER));
        assert_eq!(param(&query, "code"), None);
    }
    // A client not registered for the code flow.
    let backend_client = t
        .app
        .store
        .oauth_client(&backend.id)
        .await
        .unwrap()
        .unwrap();
    let mut with_uri = backend_client.clone();
    with_uri.client_id = format!("{}-2", backend.id);
    assert!(t.app.store.add_client(&with_uri).await.unwrap());
    let params = authorize_params(
        &with_uri.client_id,
        &[("redirect_uri", "https://client.example.com/callback")],
    );
    let r = call!(oauth_authorize, t, authorize(&params, Some(&session)));
    assert_eq!(
        param(&redirected_to(&r, CALLBACK), "error"),
        Some("unauthorized_client")
    );
}

#[tokio::test]
async fn without_a_session_the_browser_goes_to_login_url_with_next() {
    let login_page = "https://app.example.com/login";
    let vars = [OAUTH_ON, &[("LOGIN_URL", login_page)]].concat();
    let t = spawn_app_with(&vars).await;
    let client = spa(&t, true).await;
    let r = call!(
        oauth_authorize,
        t,
        authorize(&authorize_params(&client, &[]), None)
    );
    let query = redirected_to(&r, login_page);
    let next = param(&query, "next").unwrap();
    let (to, asked) = next.split_once('?').unwrap();
    assert_eq!(to, format!("{TEST_ISSUER}/oauth/authorize"));
    let asked: Vec<(String, String)> = url::form_urlencoded::parse(asked.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(param(&asked, "state"), Some("af0ifjsldkj"));
    assert_eq!(param(&asked, "code_challenge"), Some(CHALLENGE));
    // prompt=none never shows a login page.
    let params = authorize_params(&client, &[("prompt", "none")]);
    let r = call!(oauth_authorize, t, authorize(&params, None));
    assert_eq!(
        param(&redirected_to(&r, CALLBACK), "error"),
        Some("login_required")
    );
    // prompt=login: the login page even with a session, and `next` drops
    // the prompt it has answered.
    let (session, _) = session_of_alice(&t).await;
    let params = authorize_params(&client, &[("prompt", "login")]);
    let r = call!(oauth_authorize, t, authorize(&params, Some(&session)));
    let next = param(&redirected_to(&r, login_page), "next")
        .unwrap()
        .to_owned();
    assert!(!next.contains("prompt"), "{next}");
    // max_age: a login older than it sends the browser to log in again.
    let params = authorize_params(&client, &[("max_age", "3600")]);
    let r = call!(oauth_authorize, t, authorize(&params, Some(&session)));
    assert!(param(&redirected_to(&r, CALLBACK), "code").is_some());
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let params = authorize_params(&client, &[("max_age", "0")]);
    let r = call!(oauth_authorize, t, authorize(&params, Some(&session)));
    redirected_to(&r, login_page);
}

#[tokio::test]
async fn the_token_endpoint_redeems_a_code_only_with_its_verifier_client_and_redirect_uri() {
    let t = spawn_app_with(OAUTH_ON).await;
    let client = spa(&t, true).await;
    let other = spa(&t, true).await;
    let (session, _) = session_of_alice(&t).await;
    // A missing verifier: invalid_request, and the code still good.
    let code = code_for(&t, &client, &session).await;
    let mut no_verifier = exchange(&client, &code, VERIFIER);
    no_verifier = no_verifier.form(&[
        ("grant_type", "authorization_code"),
        ("client_id", &client),
        ("code", &code),
        ("redirect_uri", CALLBACK),
    ]);
    let r = call!(oauth_token, t, no_verifier);
    assert_eq!(r.json()["error"], json!("invalid_request"), "{}", r.body);
    call!(oauth_token, t, exchange(&client, &code, VERIFIER)).json()["access_token"]
        .as_str()
        .expect("redeemed");
    // A wrong verifier, the challenge itself (plain), another client, or
    // another redirect URI: invalid_grant.
    for (by, verifier) in [
        (&client, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx"),
        (&client, CHALLENGE),
        (&other, VERIFIER),
    ] {
        let code = code_for(&t, &client, &session).await;
        assert_invalid_grant(&call!(oauth_token, t, exchange(by, &code, verifier)));
    }
    let code = code_for(&t, &client, &session).await;
    let elsewhere = Req::post(OAUTH_TOKEN).form(&[
        ("grant_type", "authorization_code"),
        ("client_id", &client),
        ("code", &code),
        ("redirect_uri", "com.example.app:/cb"),
        ("code_verifier", VERIFIER),
    ]);
    assert_invalid_grant(&call!(oauth_token, t, elsewhere));
    // Unknown and expired codes.
    assert_invalid_grant(&call!(
        oauth_token,
        t,
        exchange(&client, "garbage", VERIFIER)
    ));
    let expired = AuthorizationCode {
        id: integration_tests::auth::credentials::oauth::code_item_id("expired-code"),
        client_id: client.clone(),
        user_id: 1,
        generation: t.alice.generation,
        redirect_uri: CALLBACK.into(),
        scope: "openid".into(),
        code_challenge: CHALLENGE.into(),
        nonce: None,
        auth_time: now() - 100,
        amr: vec!["pwd".into()],
        fam: "f-expired".into(),
        expires_at: now() - 1,
    };
    t.app.store.put_code(&expired).await.unwrap();
    assert_invalid_grant(&call!(
        oauth_token,
        t,
        exchange(&client, "expired-code", VERIFIER)
    ));
}

#[tokio::test]
async fn a_code_used_twice_revokes_the_tokens_issued_from_it() {
    let t = spawn_app_with(OAUTH_ON).await;
    let client = spa(&t, true).await;
    let backend = register(&t, true, &[Grant::ClientCredentials], &["read"]).await;
    let (session, _) = session_of_alice(&t).await;
    let code = code_for(&t, &client, &session).await;
    let r = call!(oauth_token, t, exchange(&client, &code, VERIFIER));
    let access = r.json()["access_token"].as_str().unwrap().to_owned();
    call!(info, t, Req::get(INFO).bearer(&access)).assert(200, ALICE);
    // The replay: refused, and the first redemption's token dies with it.
    assert_invalid_grant(&call!(oauth_token, t, exchange(&client, &code, VERIFIER)));
    let r = call!(info, t, Req::get(INFO).bearer(&access));
    assert_eq!(r.status, 401, "{}", r.body);
    let introspect = backend.basic(Req::post(OAUTH_INTROSPECT).form(&[("token", &access)]));
    call!(oauth_tokens, t, introspect).assert(200, r#"{"active":false}"#);
}

#[tokio::test]
async fn a_code_dies_with_logout_everywhere_and_its_token_with_revocation() {
    let t = spawn_app_with(OAUTH_ON).await;
    let client = spa(&t, true).await;
    let (session, _) = session_of_alice(&t).await;
    let code = code_for(&t, &client, &session).await;
    let (_, access) = pair_of_alice(&t).await;
    call!(logout_all, t, Req::post(LOGOUT_ALL).bearer(&access)).assert(200, "");
    assert_invalid_grant(&call!(oauth_token, t, exchange(&client, &code, VERIFIER)));
    // The session ended with it: flushed, and the browser sent to log in.
    let r = call!(
        oauth_authorize,
        t,
        authorize(&authorize_params(&client, &[]), Some(&session))
    );
    redirected_to(&r, &format!("{TEST_ISSUER}/oauth/login"));
    assert!(r.headers_named("set-cookie")[0].starts_with("sessionid=\"\";"));
    // A token revoked by its (public) client is refused everywhere.
    let (session, _) = session_of_alice(&t).await;
    let code = code_for(&t, &client, &session).await;
    let r = call!(oauth_token, t, exchange(&client, &code, VERIFIER));
    let access = r.json()["access_token"].as_str().unwrap().to_owned();
    let revoke = Req::post(OAUTH_REVOKE).form(&[("token", &access), ("client_id", &client)]);
    assert_eq!(call!(oauth_tokens, t, revoke).status, 200);
    let r = call!(info, t, Req::get(INFO).bearer(&access));
    assert_eq!(r.status, 401, "{}", r.body);
    let r = call!(token_verify, t, verify_req(&access));
    r.assert(400, r#"{"non_field_errors":["Token is blacklisted"]}"#);
}

pub fn refresh_req(client: &str, token: &str, scope: Option<&str>) -> Req {
    let mut pairs = vec![
        ("grant_type", "refresh_token"),
        ("client_id", client),
        ("refresh_token", token),
    ];
    if let Some(scope) = scope {
        pairs.push(("scope", scope));
    }
    Req::post(OAUTH_TOKEN).form(&pairs)
}

/// A client registered for refresh tokens, alice's code redeemed: its
/// id, access token and refresh token.
async fn refreshing_client(t: &TestApp) -> (String, String, String) {
    let client = spa_with(t, true, &[Grant::AuthorizationCode, Grant::RefreshToken]).await;
    let (session, _) = session_of_alice(t).await;
    let code = code_for(t, &client, &session).await;
    let r = call!(oauth_token, t, exchange(&client, &code, VERIFIER));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let refresh = v["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();
    let c = claims(&refresh);
    assert_eq!(
        (&c["token_type"], &c["client_id"], &c["scope"], &c["fam"]),
        (
            &json!("refresh"),
            &json!(client),
            &json!("openid read"),
            &claims(v["access_token"].as_str().unwrap())["fam"]
        )
    );
    (
        client,
        v["access_token"].as_str().unwrap().to_owned(),
        refresh,
    )
}

#[tokio::test]
async fn refresh_tokens_rotate_once_and_a_reuse_revokes_the_family() {
    let t = spawn_app_with(OAUTH_ON).await;
    let (client, access, refresh) = refreshing_client(&t).await;
    let r = call!(oauth_token, t, refresh_req(&client, &refresh, None));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let v = r.json();
    assert_eq!(
        (&v["token_type"], &v["scope"]),
        (&json!("Bearer"), &json!("openid read"))
    );
    assert!(v.get("id_token").is_none());
    let (access2, refresh2) = (
        v["access_token"].as_str().unwrap().to_owned(),
        v["refresh_token"].as_str().unwrap().to_owned(),
    );
    assert_ne!(refresh2, refresh);
    let a = claims(&access2);
    assert_eq!(
        (
            &a["sub"],
            &a["client_id"],
            &a["scope"],
            &token_header(&access2).unwrap()["typ"]
        ),
        (
            &json!("1"),
            &json!(client),
            &json!("openid read"),
            &json!("at+jwt")
        )
    );
    call!(info, t, Req::get(INFO).bearer(&access2)).assert(200, ALICE);
    // The first token again: a reuse. Refused, and the family with it.
    assert_invalid_grant(&call!(oauth_token, t, refresh_req(&client, &refresh, None)));
    assert_invalid_grant(&call!(
        oauth_token,
        t,
        refresh_req(&client, &refresh2, None)
    ));
    for token in [&access, &access2] {
        assert_eq!(call!(info, t, Req::get(INFO).bearer(token)).status, 401);
    }
}

#[tokio::test]
async fn a_refresh_token_is_good_only_for_its_own_client_and_scope() {
    let t = spawn_app_with(OAUTH_ON).await;
    let (client, _, refresh) = refreshing_client(&t).await;
    let other = spa_with(&t, true, &[Grant::AuthorizationCode, Grant::RefreshToken]).await;
    assert_invalid_grant(&call!(oauth_token, t, refresh_req(&other, &refresh, None)));
    // alice's own refresh token was issued to no client.
    let (own, _) = pair_of_alice(&t).await;
    assert_invalid_grant(&call!(oauth_token, t, refresh_req(&client, &own, None)));
    assert_invalid_grant(&call!(
        oauth_token,
        t,
        refresh_req(&client, "garbage", None)
    ));
    // A wider scope is refused; a narrower one is granted for the access
    // token alone.
    let r = call!(
        oauth_token,
        t,
        refresh_req(&client, &refresh, Some("openid read admin"))
    );
    assert_eq!(r.json()["error"], json!("invalid_scope"), "{}", r.body);
    let r = call!(oauth_token, t, refresh_req(&client, &refresh, Some("read")));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["scope"], json!("read"));
    assert_eq!(
        claims(r.json()["access_token"].as_str().unwrap())["scope"],
        json!("read")
    );
    let next = r.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(claims(&next)["scope"], json!("openid read"));
    // A client not registered for refresh tokens gets none, and may not refresh.
    let plain = spa(&t, true).await;
    let (session, _) = session_of_alice(&t).await;
    let code = code_for(&t, &plain, &session).await;
    let r = call!(oauth_token, t, exchange(&plain, &code, VERIFIER));
    assert!(r.json().get("refresh_token").is_none(), "{}", r.body);
    let r = call!(oauth_token, t, refresh_req(&plain, &next, None));
    assert_eq!(
        r.json()["error"],
        json!("unauthorized_client"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn refresh_ends_with_logout_everywhere_and_with_revocation() {
    let t = spawn_app_with(OAUTH_ON).await;
    let (client, access, refresh) = refreshing_client(&t).await;
    // Revoked by its client: the family ends, access tokens too.
    let revoke = Req::post(OAUTH_REVOKE).form(&[("token", &refresh), ("client_id", &client)]);
    assert_eq!(call!(oauth_tokens, t, revoke).status, 200);
    assert_invalid_grant(&call!(oauth_token, t, refresh_req(&client, &refresh, None)));
    assert_eq!(call!(info, t, Req::get(INFO).bearer(&access)).status, 401);
    // Logout everywhere: the user's OAuth refresh tokens end as theirs do.
    let (client, _, refresh) = refreshing_client(&t).await;
    let (_, own) = pair_of_alice(&t).await;
    call!(logout_all, t, Req::post(LOGOUT_ALL).bearer(&own)).assert(200, "");
    assert_invalid_grant(&call!(oauth_token, t, refresh_req(&client, &refresh, None)));
}

#[tokio::test]
async fn of_concurrent_refreshes_with_one_token_exactly_one_wins() {
    let t = spawn_app_with(OAUTH_ON).await;
    let (client, _, refresh) = refreshing_client(&t).await;
    let results = futures::future::join_all(
        (0..4).map(|_| async { call!(oauth_token, t, refresh_req(&client, &refresh, None)) }),
    )
    .await;
    let won: Vec<&Resp> = results.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        results.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    for r in results.iter().filter(|r| r.status != 200) {
        assert_invalid_grant(r);
    }
    // The losers were reuses: the family is revoked, the winner's too.
    let next = won[0].json()["refresh_token"].as_str().unwrap().to_owned();
    assert_invalid_grant(&call!(oauth_token, t, refresh_req(&client, &next, None)));
}

#[tokio::test]
async fn a_retry_within_the_reuse_interval_gets_the_same_successor() {
    let vars = [OAUTH_ON, &[("REFRESH_REUSE_INTERVAL", "30")]].concat();
    let t = spawn_app_with(&vars).await;
    let (client, _, refresh) = refreshing_client(&t).await;
    let first = call!(oauth_token, t, refresh_req(&client, &refresh, None));
    let retry = call!(oauth_token, t, refresh_req(&client, &refresh, None));
    assert_eq!((first.status, retry.status), (200, 200), "{}", retry.body);
    // The same successor (an ECDSA signature differs each time it is made).
    let successor = |r: &Resp| claims(r.json()["refresh_token"].as_str().unwrap());
    assert_eq!(successor(&first), successor(&retry));
}

fn userinfo(token: &str) -> Req {
    Req::get(OAUTH_USERINFO).bearer(token)
}

/// alice's access token for a client, with `scope`.
async fn access_with_scope(t: &TestApp, client: &str, scope: &str) -> String {
    let (session, _) = session_of_alice(t).await;
    let params = authorize_params(client, &[("scope", scope)]);
    let r = call!(oauth_authorize, t, authorize(&params, Some(&session)));
    let code = param(&redirected_to(&r, CALLBACK), "code")
        .unwrap()
        .to_owned();
    let r = call!(oauth_token, t, exchange(client, &code, VERIFIER));
    r.json()["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn userinfo_answers_the_claims_the_scope_allows() {
    use integration_tests::auth::store::{UserAdmin, UserChange, UserStore};
    let t = spawn_app_with(OAUTH_ON).await;
    let client = spa_with(&t, true, &[Grant::AuthorizationCode]).await;
    let mut c = t.app.store.oauth_client(&client).await.unwrap().unwrap();
    t.app.store.remove_client(&client).await.unwrap();
    c.scopes.push("email".into());
    assert!(t.app.store.add_client(&c).await.unwrap());
    let alice = t.app.store.user_by_id(1).await.unwrap().unwrap();
    let alice = t
        .app
        .store
        .set_email(&alice, "alice@example.com", true)
        .await
        .unwrap();
    let names = UserChange::Names {
        first_name: Some("Alice".into()),
        last_name: Some("Liddell".into()),
    };
    t.app.store.update_user(alice.id, names).await.unwrap();
    let token = access_with_scope(&t, &client, "openid").await;
    for req in [userinfo(&token), Req::post(OAUTH_USERINFO).bearer(&token)] {
        let r = call!(oauth_userinfo, t, req);
        r.assert(200, r#"{"sub":"1"}"#);
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
    let token = access_with_scope(&t, &client, "openid profile email").await;
    let r = call!(oauth_userinfo, t, userinfo(&token));
    assert_eq!(
        r.json(),
        json!({
            "sub": "1", "preferred_username": "alice", "name": "Alice Liddell",
            "given_name": "Alice", "family_name": "Liddell",
            "email": "alice@example.com", "email_verified": true,
        })
    );
}

#[tokio::test]
async fn userinfo_needs_a_live_openid_token_of_a_client() {
    let t = spawn_app_with(OAUTH_ON).await;
    let client = spa(&t, true).await;
    let challenge = r#"Bearer realm="oauth", error="invalid_token""#;
    let token = access_with_scope(&t, &client, "openid").await;
    let no_openid = access_with_scope(&t, &client, "read").await;
    let (_, own) = pair_of_alice(&t).await;
    let backend = register(&t, true, &[Grant::ClientCredentials], &["read"]).await;
    let r = call!(
        oauth_token,
        t,
        backend.basic(Req::post(OAUTH_TOKEN).form(&[("grant_type", "client_credentials")]))
    );
    let clients_own = r.json()["access_token"].as_str().unwrap().to_owned();
    for (req, status, error) in [
        (Req::get(OAUTH_USERINFO), 401, "invalid_token"),
        (userinfo("garbage"), 401, "invalid_token"),
        (
            Req::get(OAUTH_USERINFO).basic("alice", ALICE_PASSWORD),
            401,
            "invalid_token",
        ),
        (userinfo(&no_openid), 403, "insufficient_scope"),
        (userinfo(&own), 403, "insufficient_scope"),
        (userinfo(&clients_own), 403, "insufficient_scope"),
    ] {
        let r = call!(oauth_userinfo, t, req);
        assert_eq!(
            (r.status, &r.json()["error"]),
            (status, &json!(error)),
            "{}",
            r.body
        );
        if status == 401 {
            assert_eq!(r.header("www-authenticate"), Some(challenge));
        }
    }
    // Revoked by its client: invalid from then on.
    call!(oauth_userinfo, t, userinfo(&token)).assert(200, r#"{"sub":"1"}"#);
    let revoke = Req::post(OAUTH_REVOKE).form(&[("token", &token), ("client_id", &client)]);
    assert_eq!(call!(oauth_tokens, t, revoke).status, 200);
    let r = call!(oauth_userinfo, t, userinfo(&token));
    assert_eq!(
        (r.status, r.header("www-authenticate")),
        (401, Some(challenge))
    );
    // And with logout everywhere.
    let token = access_with_scope(&t, &client, "openid").await;
    let (_, own) = pair_of_alice(&t).await;
    call!(logout_all, t, Req::post(LOGOUT_ALL).bearer(&own)).assert(200, "");
    assert_eq!(call!(oauth_userinfo, t, userinfo(&token)).status, 401);
}
