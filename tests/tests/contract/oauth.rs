//! The OAuth provider (`OAUTH_ENABLED`): `oauth/token`'s client
//! authentication and `client_credentials`, `oauth/revoke` and
//! `oauth/introspect`, and the refusals RFC 6749, 7009 and 7662 name.

use integration_tests::auth::credentials::oauth::{new_client_id, new_client_secret, secret_hash};
use integration_tests::auth::model::client::{Grant, OAuthClient};
use integration_tests::auth::secrecy::ExposeSecret;
use integration_tests::auth::store::ClientStore;
use integration_tests::{Route, TEST_ISSUER, spawn_app_with};

use crate::helpers::*;

/// The OAuth provider's settings: on, with an ES256 key and an issuer.
pub const OAUTH_ON: &[(&str, &str)] = &[
    ("OAUTH_ENABLED", "true"),
    ("ALGORITHM", "ES256"),
    (
        "SIGNING_KEY",
        include_str!("../../../shared/tests/fixtures/keys/ec.pem"),
    ),
    ("ISSUER", TEST_ISSUER),
];

/// A registered client: its id and (confidential) secret.
pub struct Client {
    pub id: String,
    pub secret: Option<String>,
}

impl Client {
    /// `Authorization: Basic` with its id and secret (client_secret_basic).
    pub fn basic(&self, req: Req) -> Req {
        req.basic(&self.id, self.secret.as_deref().unwrap_or_default())
    }
}

/// Registers a client with `grants` and `scopes`; `confidential`: with a secret.
pub async fn register(
    t: &TestApp,
    confidential: bool,
    grants: &[Grant],
    scopes: &[&str],
) -> Client {
    let secret = confidential.then(new_client_secret);
    let client = OAuthClient {
        client_id: new_client_id(),
        name: "Test client".into(),
        secret_hash: secret.as_ref().map(secret_hash),
        redirect_uris: vec!["https://client.example.com/callback".into()],
        first_party: false,
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        grants: grants.to_vec(),
        created: now(),
    };
    assert!(t.app.store.add_client(&client).await.unwrap());
    Client {
        id: client.client_id,
        secret: secret.map(|s| s.expose_secret().to_owned()),
    }
}

/// An app with the provider on and a confidential `client_credentials`
/// client allowed `read write`.
async fn provider() -> (TestApp, Client) {
    let t = spawn_app_with(OAUTH_ON).await;
    let client = register(&t, true, &[Grant::ClientCredentials], &["read", "write"]).await;
    (t, client)
}

fn token_req(pairs: &[(&str, &str)]) -> Req {
    Req::post(OAUTH_TOKEN).form(pairs)
}

#[track_caller]
fn assert_oauth_error(r: &Resp, status: u16, error: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.json()["error"], json!(error), "{}", r.body);
    assert!(r.json()["error_description"].is_string());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    if status == 401 {
        assert_eq!(r.header("www-authenticate"), Some(r#"Basic realm="oauth""#));
    }
}

/// A client's own token, by client_secret_basic.
async fn client_token(t: &TestApp, client: &Client, scope: Option<&str>) -> Resp {
    let mut pairs = vec![("grant_type", "client_credentials")];
    if let Some(scope) = scope {
        pairs.push(("scope", scope));
    }
    call!(oauth_token, t, client.basic(token_req(&pairs)))
}

#[tokio::test]
async fn off_by_default_every_oauth_path_is_404() {
    let t = integration_tests::spawn_app().await;
    let oauth: Vec<&Route> = integration_tests::ROUTES
        .iter()
        .filter(|r| r.function.starts_with("oauth-"))
        .collect();
    assert_eq!(oauth.len(), 8);
    let r = call!(well_known, t, Req::get(OAUTH_METADATA));
    r.assert(404, r#"{"detail":"Not found."}"#);
    // A caller-only path (`oauth/grants`) authenticates first, as
    // `passkeys` does: 404 to a caller.
    let (_, access) = pair_of_alice(&t).await;
    for route in oauth {
        let mut req =
            Req::new(route.method(), route.path).form(&[("grant_type", "client_credentials")]);
        if route.auth == integration_tests::auth::web::Auth::Required {
            req = req.bearer(&access);
        }
        let r = route.invoke(&t.app, req.build()).await;
        let r = Resp::from_response(r);
        r.assert(404, r#"{"detail":"Not found."}"#);
    }
}

#[tokio::test]
async fn client_credentials_give_an_rfc_9068_access_token() {
    let (t, client) = provider().await;
    for req in [
        client.basic(token_req(&[("grant_type", "client_credentials")])),
        token_req(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client.id),
            ("client_secret", client.secret.as_deref().unwrap()),
        ]),
    ] {
        let r = call!(oauth_token, t, req);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_eq!(r.header("pragma"), Some("no-cache"));
        let v = r.json();
        assert_eq!(
            (&v["token_type"], &v["expires_in"], &v["scope"]),
            (&json!("Bearer"), &json!(300), &json!("read write"))
        );
        let token = v["access_token"].as_str().unwrap();
        let header = integration_tests::token_header(token).unwrap();
        assert_eq!(
            (&header["typ"], &header["alg"]),
            (&json!("at+jwt"), &json!("ES256"))
        );
        let c = claims(token);
        assert_eq!(
            (
                &c["sub"],
                &c["client_id"],
                &c["scope"],
                &c["iss"],
                &c["aud"]
            ),
            (
                &json!(client.id),
                &json!(client.id),
                &json!("read write"),
                &json!(TEST_ISSUER),
                &json!(TEST_ISSUER)
            )
        );
        assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 300);
        assert!(c.get("user_id").is_none());
        // A valid access token of this service's.
        call!(token_verify, t, verify_req(token)).assert(200, "{}");
    }
    // A narrower scope is what it asked for.
    let r = client_token(&t, &client, Some("write")).await;
    assert_eq!(r.json()["scope"], json!("write"));
    assert_eq!(
        claims(r.json()["access_token"].as_str().unwrap())["scope"],
        json!("write")
    );
}

#[tokio::test]
async fn a_client_that_does_not_authenticate_is_401_invalid_client() {
    let (t, client) = provider().await;
    let public = register(&t, false, &[Grant::ClientCredentials], &["read"]).await;
    let secret = client.secret.clone().unwrap();
    let grant = ("grant_type", "client_credentials");
    let cases = [
        // A wrong secret, by either method.
        token_req(&[grant]).basic(&client.id, "wrong"),
        token_req(&[grant, ("client_id", &client.id), ("client_secret", "wrong")]),
        // A confidential client without its secret.
        token_req(&[grant, ("client_id", &client.id)]),
        // An unknown client.
        token_req(&[grant]).basic("nobody", &secret),
        token_req(&[grant, ("client_id", "nobody")]),
        // Two methods at once.
        client.basic(token_req(&[
            grant,
            ("client_id", &client.id),
            ("client_secret", &secret),
        ])),
        // No client at all.
        token_req(&[grant]),
        // A public client presenting a secret.
        token_req(&[grant]).basic(&public.id, "anything"),
        // Not Basic credentials.
        token_req(&[grant]).bearer(&secret),
    ];
    for req in cases {
        let r = call!(oauth_token, t, req);
        assert_oauth_error(&r, 401, "invalid_client");
        assert_eq!(
            r.json()["error_description"],
            json!("Client authentication failed.")
        );
    }
}

#[tokio::test]
async fn grants_and_scopes_a_client_may_not_have_are_refused() {
    let (t, client) = provider().await;
    let public = register(&t, false, &[Grant::ClientCredentials], &["read"]).await;
    let code_only = register(&t, true, &[Grant::AuthorizationCode], &["read"]).await;
    let cases: Vec<(Req, u16, &str)> = vec![
        (client.basic(token_req(&[])), 400, "invalid_request"),
        (
            client.basic(token_req(&[("grant_type", "password")])),
            400,
            "unsupported_grant_type",
        ),
        (
            client.basic(token_req(&[("grant_type", "implicit")])),
            400,
            "unsupported_grant_type",
        ),
        (
            client.basic(token_req(&[
                ("grant_type", "client_credentials"),
                ("grant_type", "client_credentials"),
            ])),
            400,
            "invalid_request",
        ),
        (
            client.basic(Req::post(OAUTH_TOKEN).json(&json!({"grant_type": "client_credentials"}))),
            400,
            "invalid_request",
        ),
        (
            code_only.basic(token_req(&[("grant_type", "client_credentials")])),
            400,
            "unauthorized_client",
        ),
        (
            token_req(&[
                ("grant_type", "client_credentials"),
                ("client_id", &public.id),
            ]),
            400,
            "unauthorized_client",
        ),
    ];
    for (req, status, error) in cases {
        let r = call!(oauth_token, t, req);
        assert_oauth_error(&r, status, error);
    }
    for scope in ["admin", "read admin", "openid", "read\"", " read"] {
        let r = client_token(&t, &client, Some(scope)).await;
        assert_oauth_error(&r, 400, "invalid_scope");
    }
}

fn introspect_req(client: &Client, token: &str) -> Req {
    client.basic(Req::post(OAUTH_INTROSPECT).form(&[("token", token)]))
}

fn revoke_req(client: &Client, token: &str) -> Req {
    client.basic(Req::post(OAUTH_REVOKE).form(&[("token", token)]))
}

#[tokio::test]
async fn introspection_tells_whether_a_client_token_is_active_and_revocation_ends_it() {
    let (t, client) = provider().await;
    let r = client_token(&t, &client, Some("read")).await;
    let token = r.json()["access_token"].as_str().unwrap().to_owned();
    let c = claims(&token);
    let r = call!(oauth_tokens, t, introspect_req(&client, &token));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(
        r.json(),
        json!({
            "active": true, "scope": "read", "client_id": client.id,
            "token_type": "Bearer", "exp": c["exp"], "iat": c["iat"],
            "sub": client.id, "aud": TEST_ISSUER, "iss": TEST_ISSUER, "jti": c["jti"],
        })
    );
    // Revoked by its client: inactive from then on.
    let r = call!(oauth_tokens, t, revoke_req(&client, &token));
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    let r = call!(oauth_tokens, t, introspect_req(&client, &token));
    r.assert(200, r#"{"active":false}"#);
    // Garbage, and a token signed by another key, are inactive too.
    for token in [
        "garbage",
        &sign_with("another key that is long enough to use!", json!({})),
    ] {
        let r = call!(oauth_tokens, t, introspect_req(&client, token));
        r.assert(200, r#"{"active":false}"#);
    }
    // Revoking garbage is 200 (RFC 7009 §2.2).
    let r = call!(oauth_tokens, t, revoke_req(&client, "garbage"));
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn a_removed_clients_tokens_are_inactive() {
    let (t, client) = provider().await;
    let other = register(&t, true, &[Grant::ClientCredentials], &["read"]).await;
    let r = client_token(&t, &other, None).await;
    let token = r.json()["access_token"].as_str().unwrap().to_owned();
    let r = call!(oauth_tokens, t, introspect_req(&client, &token));
    assert_eq!(r.json()["active"], json!(true));
    assert!(t.app.store.remove_client(&other.id).await.unwrap());
    let r = call!(oauth_tokens, t, introspect_req(&client, &token));
    r.assert(200, r#"{"active":false}"#);
}

#[tokio::test]
async fn introspection_of_a_users_token_reflects_logout_everywhere() {
    let (t, client) = provider().await;
    let (refresh, access) = pair_of_alice(&t).await;
    for token in [&access, &refresh] {
        let r = call!(oauth_tokens, t, introspect_req(&client, token));
        let v = r.json();
        assert_eq!(
            (&v["active"], &v["username"], &v["sub"]),
            (&json!(true), &json!("alice"), &json!("1"))
        );
    }
    let r = call!(logout_all, t, Req::post(LOGOUT_ALL).bearer(&access));
    assert_eq!(r.status, 200, "{}", r.body);
    for token in [&access, &refresh] {
        let r = call!(oauth_tokens, t, introspect_req(&client, token));
        r.assert(200, r#"{"active":false}"#);
    }
}

#[tokio::test]
async fn only_confidential_clients_introspect_and_a_client_revokes_only_its_own_tokens() {
    let (t, client) = provider().await;
    let public = register(&t, false, &[Grant::AuthorizationCode], &["read"]).await;
    let r = client_token(&t, &client, None).await;
    let token = r.json()["access_token"].as_str().unwrap().to_owned();
    let public_req = |path| Req::post(path).form(&[("token", &token), ("client_id", &public.id)]);
    let r = call!(oauth_tokens, t, public_req(OAUTH_INTROSPECT));
    assert_oauth_error(&r, 401, "invalid_client");
    let r = call!(oauth_tokens, t, public_req(OAUTH_REVOKE));
    assert_oauth_error(&r, 400, "unauthorized_client");
    // alice's own tokens were issued to no client.
    let (refresh, _) = pair_of_alice(&t).await;
    let r = call!(oauth_tokens, t, revoke_req(&client, &refresh));
    assert_oauth_error(&r, 400, "unauthorized_client");
    // Still active: neither revoked it.
    let r = call!(oauth_tokens, t, introspect_req(&client, &token));
    assert_eq!(r.json()["active"], json!(true));
    let r = call!(oauth_tokens, t, introspect_req(&client, &refresh));
    assert_eq!(r.json()["active"], json!(true));
    // No token.
    let r = call!(
        oauth_tokens,
        t,
        client.basic(Req::post(OAUTH_REVOKE).form(&[]))
    );
    assert_oauth_error(&r, 400, "invalid_request");
}

#[tokio::test]
async fn the_metadata_names_every_endpoint_and_what_it_supports() {
    let (t, _) = provider().await;
    let base = TEST_ISSUER;
    let want = json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "userinfo_endpoint": format!("{base}/oauth/userinfo"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "scopes_supported": ["openid", "profile", "email"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint": format!("{base}/oauth/introspect"),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "preferred_username", "name", "given_name", "family_name", "email", "email_verified"],
    });
    // RFC 8414's document, and OpenID Connect Discovery's: the same.
    for path in [OAUTH_METADATA, OPENID] {
        let r = call!(well_known, t, Req::get(path));
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("cache-control"), Some("public, max-age=3600"));
        assert_eq!(r.json(), want, "{path}");
    }
    // No implicit flow, no password grant (RFC 9700).
    let grants = want["grant_types_supported"].as_array().unwrap();
    assert!(!grants.contains(&json!("password")) && !grants.contains(&json!("implicit")));
}
