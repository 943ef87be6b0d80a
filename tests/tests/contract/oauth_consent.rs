//! The OAuth provider's pages and remembered consent: the hosted login
//! page (`oauth/login`, the default `LOGIN_URL`), the consent page of a
//! third-party client (a CSRF-protected form), consent remembered per
//! client and scope, and its withdrawal at `oauth/grants`, after which
//! the client's refresh tokens and codes stop working.

use integration_tests::auth::model::client::Grant;
use integration_tests::{BOB_PASSWORD, TEST_ISSUER, spawn_app, spawn_app_with};
use sha2::{Digest, Sha256};

use crate::helpers::*;
use crate::oauth::{OAUTH_ON, register};
use crate::oauth_code::{
    CALLBACK, VERIFIER, assert_invalid_grant, authorize, authorize_params, exchange, param,
    redirected_to, refresh_req, spa_with,
};

/// The hidden fields of a page's form, unescaped.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| -> String {
        let start = tag.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
        let value = &tag[start..start + tag[start..].find('"').unwrap()];
        value
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&amp;", "&")
    };
    html.split("<input type=\"hidden\"")
        .skip(1)
        .map(|rest| {
            let tag = &rest[..rest.find('>').unwrap()];
            (attribute(tag, "name"), attribute(tag, "value"))
        })
        .collect()
}

/// A form of `fields` posted to the authorization endpoint, without cookies.
fn post_fields(fields: &[(String, String)]) -> Req {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    Req::post(OAUTH_AUTHORIZE).form(&pairs)
}

/// The consent page's answer: its hidden fields and `consent`, posted
/// without cookies.
pub fn answer(page: &Resp, answer: &str) -> Req {
    let mut fields = hidden_fields(&page.body);
    fields.push(("consent".into(), answer.into()));
    post_fields(&fields)
}

/// The consent page's answer as its browser posts it: with the session
/// and its CSRF cookie.
pub fn decide(page: &Resp, consent: &str, session: &str, csrf: &str) -> Req {
    answer(page, consent).session(session, csrf)
}

#[track_caller]
fn assert_page(r: &Resp) {
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    let csp = r.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    // Every inline style and script is allowed by its hash, and only it.
    for (open, directive) in [("<style>", "style-src"), ("<script>", "script-src")] {
        for body in r.body.split(open).skip(1) {
            let body = &body[..body.find("</").unwrap()];
            let hash = base64_std(&Sha256::digest(body.as_bytes()));
            let allowed = csp
                .split(';')
                .find(|d| d.trim().starts_with(directive))
                .unwrap();
            assert!(allowed.contains(&format!("'sha256-{hash}'")), "{csp}");
        }
    }
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The `next` the login page's script opens (its JSON configuration).
fn configured_next(page: &Resp) -> Value {
    let start = page.body.find("id=\"config\">").unwrap() + "id=\"config\">".len();
    let json = &page.body[start..start + page.body[start..].find("</script>").unwrap()];
    serde_json::from_str::<Value>(json).unwrap()["next"].clone()
}

#[tokio::test]
async fn without_a_session_the_browser_goes_to_the_hosted_login_page() {
    let t = spawn_app_with(OAUTH_ON).await;
    let client = spa_with(&t, true, &[Grant::AuthorizationCode]).await;
    let r = call!(
        oauth_authorize,
        t,
        authorize(&authorize_params(&client, &[]), None)
    );
    let login = format!("{TEST_ISSUER}/oauth/login");
    let next = param(&redirected_to(&r, &login), "next")
        .unwrap()
        .to_owned();
    assert!(next.starts_with(&format!("{TEST_ISSUER}/oauth/authorize?")));
    let page = call!(
        oauth_authorize,
        t,
        Req::get(OAUTH_LOGIN).query(&[("next", &next)])
    );
    assert_page(&page);
    for id in [
        "login-form",
        "username",
        "password",
        "mfa-form",
        "code",
        "error",
    ] {
        assert!(page.body.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(
        page.body
            .contains("<label for=\"username\">Username</label>")
    );
    assert_eq!(configured_next(&page), json!(next));
    // A `next` that is not this issuer's authorization endpoint is
    // dropped (no open redirect), and nothing in it can close the script.
    for foreign in [
        "https://evil.example/oauth/authorize?x=1",
        "/api/v1/users/oauth/authorize?x=1",
        "javascript:alert(1)",
    ] {
        let page = call!(
            oauth_authorize,
            t,
            Req::get(OAUTH_LOGIN).query(&[("next", foreign)])
        );
        assert_page(&page);
        assert_eq!(configured_next(&page), Value::Null, "{foreign}");
    }
    let hostile = format!("{TEST_ISSUER}/oauth/authorize?x=</script><script>alert(1)</script>");
    let page = call!(
        oauth_authorize,
        t,
        Req::get(OAUTH_LOGIN).query(&[("next", &hostile)])
    );
    assert_eq!(page.body.matches("</script>").count(), 2, "{}", page.body);
    assert_eq!(configured_next(&page), json!(hostile));
    // Off, as every provider path.
    let off = spawn_app().await;
    assert_eq!(
        call!(oauth_authorize, off, Req::get(OAUTH_LOGIN)).status,
        404
    );
}

/// A third-party public client registered for codes and refresh tokens.
async fn third_party(t: &TestApp) -> String {
    spa_with(t, false, &[Grant::AuthorizationCode, Grant::RefreshToken]).await
}

/// alice's consent to `client` for `scope` on its consent page; the code.
async fn consented_code(
    t: &TestApp,
    client: &str,
    scope: &str,
    session: &str,
    csrf: &str,
) -> String {
    let params = authorize_params(client, &[("scope", scope)]);
    let page = call!(oauth_authorize, t, browser(&params, session, csrf));
    assert_page(&page);
    let r = call!(oauth_authorize, t, decide(&page, "allow", session, csrf));
    param(&redirected_to(&r, CALLBACK), "code")
        .expect("a code")
        .to_owned()
}

/// An authorization request from a logged-in browser (its session and
/// CSRF cookies).
fn browser(params: &[(&str, &str)], session: &str, csrf: &str) -> Req {
    authorize(params, Some(session)).cookie("csrftoken", csrf)
}

fn grants(session: &str) -> Req {
    Req::get(OAUTH_GRANTS).cookie("sessionid", session)
}

#[tokio::test]
async fn a_third_party_client_gets_a_code_once_the_user_consents_and_the_consent_is_remembered() {
    let t = spawn_app_with(OAUTH_ON).await;
    let client = third_party(&t).await;
    let (session, csrf) = session_of_alice(&t).await;
    let params = authorize_params(&client, &[]);
    let page = call!(oauth_authorize, t, browser(&params, &session, &csrf));
    assert_page(&page);
    assert!(page.body.contains("Allow Example app to use your account?"));
    assert!(page.body.contains("<strong>alice</strong>"));
    assert!(page.body.contains("id=\"consent-allow\""));
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("form-action 'self' https://client.example.com;"),
        "{csp}"
    );
    let fields = hidden_fields(&page.body);
    let mut asked: Vec<(String, String)> = (fields.iter())
        .filter(|(k, _)| k != "csrfmiddlewaretoken")
        .cloned()
        .collect();
    let mut sent: Vec<(String, String)> = (params.iter())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    asked.sort();
    sent.sort();
    assert_eq!(asked, sent, "the form carries the request, as sent");
    call!(oauth_grants, t, grants(&session)).assert(200, "[]");

    let r = call!(oauth_authorize, t, decide(&page, "allow", &session, &csrf));
    let query = redirected_to(&r, CALLBACK);
    assert_eq!(param(&query, "state"), Some("af0ifjsldkj"));
    assert_eq!(param(&query, "iss"), Some(TEST_ISSUER));
    let code = param(&query, "code").expect("a code").to_owned();
    let r = call!(oauth_token, t, exchange(&client, &code, VERIFIER));
    assert_eq!(r.status, 200, "{}", r.body);
    let listed = call!(oauth_grants, t, grants(&session));
    assert_eq!(listed.status, 200, "{}", listed.body);
    let listed = listed.json();
    assert_eq!(
        (
            &listed[0]["client_id"],
            &listed[0]["name"],
            &listed[0]["scope"]
        ),
        (&json!(client), &json!("Example app"), &json!("openid read"))
    );
    let granted = listed[0]["granted"].clone();

    // Remembered: the same scopes (or fewer) get a code at once, and so
    // does prompt=none.
    for changes in [vec![], vec![("scope", "read")], vec![("prompt", "none")]] {
        let params = authorize_params(&client, &changes);
        let r = call!(oauth_authorize, t, authorize(&params, Some(&session)));
        assert!(
            param(&redirected_to(&r, CALLBACK), "code").is_some(),
            "{changes:?}"
        );
    }
    // prompt=consent asks again; a wider scope asks again, and prompt=none
    // for it is consent_required.
    let params = authorize_params(&client, &[("prompt", "consent")]);
    assert_page(&call!(
        oauth_authorize,
        t,
        authorize(&params, Some(&session))
    ));
    let params = authorize_params(&client, &[("scope", "openid profile"), ("prompt", "none")]);
    let r = call!(oauth_authorize, t, authorize(&params, Some(&session)));
    assert_eq!(
        param(&redirected_to(&r, CALLBACK), "error"),
        Some("consent_required")
    );
    consented_code(&t, &client, "openid profile", &session, &csrf).await;
    let listed = call!(oauth_grants, t, grants(&session)).json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["scope"], json!("openid read profile"));
    assert_eq!(
        listed[0]["granted"], granted,
        "widening keeps the first time"
    );
    // A browser without a csrftoken cookie gets one with the page.
    let params = authorize_params(&client, &[("prompt", "consent")]);
    let page = call!(oauth_authorize, t, authorize(&params, Some(&session)));
    assert_page(&page);
    let fresh = page.cookie("csrftoken").expect("a csrftoken cookie");
    let r = call!(oauth_authorize, t, decide(&page, "deny", &session, &fresh));
    assert_eq!(
        param(&redirected_to(&r, CALLBACK), "error"),
        Some("access_denied")
    );
    // Another user has consented to nothing.
    let bob = call!(login, t, credentials(LOGIN, "bob", BOB_PASSWORD));
    let bob_session = bob.cookie("sessionid").unwrap();
    call!(oauth_grants, t, grants(&bob_session)).assert(200, "[]");
    let r = call!(
        oauth_authorize,
        t,
        authorize(&authorize_params(&client, &[]), Some(&bob_session))
    );
    assert_page(&r);
}

#[tokio::test]
async fn the_consent_form_needs_its_csrf_token_and_a_no_stores_nothing() {
    let t = spawn_app_with(OAUTH_ON).await;
    let client = third_party(&t).await;
    let (session, csrf) = session_of_alice(&t).await;
    let params = authorize_params(&client, &[]);
    let page = call!(oauth_authorize, t, browser(&params, &session, &csrf));
    assert_page(&page);
    // Without the token (a cross-site form cannot read it), or another.
    let forged = answer(&page, "allow").session(&session, &"A".repeat(32));
    let r = call!(oauth_authorize, t, forged);
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("CSRF Failed")
    );
    let no_cookie = answer(&page, "allow").cookie("sessionid", &session);
    assert_eq!(call!(oauth_authorize, t, no_cookie).status, 403);
    // A foreign page's form: its Origin is refused.
    let foreign = decide(&page, "allow", &session, &csrf).header("origin", "https://evil.example");
    assert_eq!(call!(oauth_authorize, t, foreign).status, 403);
    call!(oauth_grants, t, grants(&session)).assert(200, "[]");
    // The attack: a client's authorization URL that carries the form's
    // own fields (`consent=allow`, a token of its choosing) — neither is
    // echoed into the form, so Deny means deny.
    let mut rigged = authorize_params(&client, &[]);
    rigged.extend([("consent", "allow"), ("csrfmiddlewaretoken", "attacker")]);
    let rigged_page = call!(oauth_authorize, t, browser(&rigged, &session, &csrf));
    assert_page(&rigged_page);
    let fields = hidden_fields(&rigged_page.body);
    assert!(!fields.iter().any(|(k, _)| k == "consent"), "{fields:?}");
    let tokens = fields.iter().filter(|(k, _)| k == "csrfmiddlewaretoken");
    assert_eq!(tokens.count(), 1);
    let r = call!(
        oauth_authorize,
        t,
        decide(&rigged_page, "deny", &session, &csrf)
    );
    assert_eq!(
        param(&redirected_to(&r, CALLBACK), "error"),
        Some("access_denied")
    );
    // Two answers in one form: refused, nothing stored.
    let mut fields = hidden_fields(&page.body);
    fields.extend([
        ("consent".into(), "deny".into()),
        ("consent".into(), "allow".into()),
    ]);
    let r = call!(
        oauth_authorize,
        t,
        post_fields(&fields).session(&session, &csrf)
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["error"], json!("invalid_request"));
    // Deny: access_denied, nothing stored.
    let r = call!(oauth_authorize, t, decide(&page, "deny", &session, &csrf));
    let query = redirected_to(&r, CALLBACK);
    assert_eq!(param(&query, "error"), Some("access_denied"));
    assert_eq!(param(&query, "state"), Some("af0ifjsldkj"));
    let r = call!(
        oauth_authorize,
        t,
        decide(&page, "perhaps", &session, &csrf)
    );
    assert_eq!(
        param(&redirected_to(&r, CALLBACK), "error"),
        Some("invalid_request")
    );
    call!(oauth_grants, t, grants(&session)).assert(200, "[]");
    // A form whose request was tampered with is checked as any request.
    let mut fields = hidden_fields(&page.body);
    for (k, v) in fields.iter_mut() {
        if k == "redirect_uri" {
            *v = "https://evil.example/callback".into();
        }
    }
    fields.push(("consent".into(), "allow".into()));
    let r = call!(
        oauth_authorize,
        t,
        post_fields(&fields).session(&session, &csrf)
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.header("location"), None);
    // Without a session, the form sends the browser to log in.
    let r = call!(
        oauth_authorize,
        t,
        Req::post(OAUTH_AUTHORIZE).form(&[
            ("client_id", client.as_str()),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("code_challenge", crate::oauth_code::CHALLENGE),
            ("code_challenge_method", "S256"),
            ("consent", "allow")
        ])
    );
    redirected_to(&r, &format!("{TEST_ISSUER}/oauth/login"));
    call!(oauth_grants, t, grants(&session)).assert(200, "[]");
}

#[tokio::test]
async fn a_withdrawn_consent_stops_the_clients_refresh_tokens_and_codes() {
    let t = spawn_app_with(OAUTH_ON).await;
    let confidential = register(
        &t,
        true,
        &[Grant::AuthorizationCode, Grant::RefreshToken],
        &["openid", "read"],
    )
    .await;
    let client = confidential.id.clone();
    let (session, csrf) = session_of_alice(&t).await;
    let code = consented_code(&t, &client, "openid read", &session, &csrf).await;
    let r = call!(
        oauth_token,
        t,
        confidential.basic(exchange(&client, &code, VERIFIER))
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let refresh = r.json()["refresh_token"].as_str().unwrap().to_owned();
    let access = r.json()["access_token"].as_str().unwrap().to_owned();
    let introspect =
        |token: &str| confidential.basic(Req::post(OAUTH_INTROSPECT).form(&[("token", token)]));
    assert_eq!(
        call!(oauth_tokens, t, introspect(&access)).json()["active"],
        json!(true)
    );
    let userinfo = || Req::get(OAUTH_USERINFO).bearer(&access);
    assert_eq!(call!(oauth_userinfo, t, userinfo()).status, 200);
    // A code issued before the withdrawal, not yet redeemed.
    let params = authorize_params(&client, &[]);
    let r = call!(oauth_authorize, t, authorize(&params, Some(&session)));
    let pending = param(&redirected_to(&r, CALLBACK), "code")
        .unwrap()
        .to_owned();

    // Withdrawn, by the user's session (with its CSRF token).
    let one = OAUTH_GRANT.replace("{client_id}", &client);
    let r = call!(
        oauth_grants,
        t,
        Req::new("DELETE", &one).cookie("sessionid", &session)
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let r = call!(
        oauth_grants,
        t,
        Req::new("DELETE", &one).session_with_csrf(&session, &csrf)
    );
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    call!(oauth_grants, t, grants(&session)).assert(200, "[]");
    let r = call!(
        oauth_grants,
        t,
        Req::new("DELETE", &one).session_with_csrf(&session, &csrf)
    );
    assert_eq!(r.status, 404, "{}", r.body);

    let r = call!(
        oauth_token,
        t,
        confidential.basic(refresh_req(&client, &refresh, None))
    );
    assert_invalid_grant(&r);
    let r = call!(
        oauth_token,
        t,
        confidential.basic(exchange(&client, &pending, VERIFIER))
    );
    assert_invalid_grant(&r);
    assert_eq!(
        call!(oauth_tokens, t, introspect(&access)).json(),
        json!({"active": false})
    );
    assert_eq!(
        call!(oauth_tokens, t, introspect(&refresh)).json(),
        json!({"active": false})
    );
    let r = call!(oauth_userinfo, t, userinfo());
    assert_eq!(r.json()["error"], json!("invalid_token"), "{}", r.body);
    // Consenting again revives none of them.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    consented_code(&t, &client, "openid read", &session, &csrf).await;
    let r = call!(
        oauth_token,
        t,
        confidential.basic(refresh_req(&client, &refresh, None))
    );
    assert_invalid_grant(&r);
    assert_eq!(
        call!(oauth_tokens, t, introspect(&access)).json(),
        json!({"active": false})
    );
    // Not logged in: 401, as any caller-only endpoint.
    assert_eq!(call!(oauth_grants, t, Req::get(OAUTH_GRANTS)).status, 401);
}

#[tokio::test]
async fn the_hosted_pages_own_script_gets_no_basic_dialog() {
    // A 401 that would make a browser show its Basic dialog over the
    // hosted login page (the `mfa_required` step is such a 401): none for
    // a request from the issuer's own origin while the provider is on.
    let issuer_origin = TEST_ISSUER.trim_end_matches("/api/v1/users");
    let wrong = |origin: &str| {
        Req::get(INFO)
            .basic("alice", "not her password")
            .header("origin", origin)
    };
    let t = spawn_app_with(OAUTH_ON).await;
    let r = call!(info, t, wrong(issuer_origin));
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.header("www-authenticate"), None);
    let r = call!(info, t, wrong("https://elsewhere.example"));
    assert_eq!(r.header("www-authenticate"), Some(r#"Basic realm="api""#));
    // Off, the contract's challenge, whatever the origin.
    let off = spawn_app().await;
    let r = call!(info, off, wrong(issuer_origin));
    assert_eq!(r.header("www-authenticate"), Some(r#"Basic realm="api""#));
}
