//! `GET /api/v1/users/.well-known/jwks.json` and
//! `GET /api/v1/users/.well-known/openid-configuration` — the keys that
//! verify our tokens, and the OpenID Connect discovery document that names
//! them, so other services (PyJWT's `PyJWKClient`, API Gateway's JWT
//! authorizer) verify access tokens on their own, without calling `verify`.
//!
//! The JWKS holds the public half of every configured key (current,
//! previous, and a published next one): `{"keys":[…]}`, each with `kty`,
//! `kid` (its RFC 7638 thumbprint), `alg`, `use: "sig"` and its parameters;
//! with HS256, whose keys are secrets, `{"keys":[]}`. The discovery
//! document's `issuer` is `ISSUER`, or this API's URL under
//! `/api/v1/users`. Both: `Cache-Control: public, max-age=<JWKS_MAX_AGE>`.
//! Any method but GET, HEAD and OPTIONS: 405, as `info`.
//!
//! With `OAUTH_ENABLED`, both `openid-configuration` and `GET
//! …/.well-known/oauth-authorization-server` (RFC 8414; off, 404) are the
//! OAuth provider's metadata, with every endpoint and supported value.

use auth::App;
use auth::serde_json::{Value, json};
use auth::store::Store;
use auth::web::oauth::enabled;
use auth::web::{Anonymous, Answer, Reply, Request, Serves, View};

pub static VIEW: View<Anonymous> = View::simple_jwt("well-known", Serves::Get).options(
    r#"{"name":"Well Known","description":"The public keys that verify tokens (JWKS) and the OpenID Connect discovery document.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#,
);

/// The JWKS or a discovery document, by the path asked for.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    let path = req.path().trim_end_matches('/');
    let document = if path.ends_with("/jwks.json") {
        app.tokens.jwt().jwks()
    } else if path.ends_with("/oauth-authorization-server") {
        enabled(app)?;
        provider(app)
    } else if app.settings.oauth.enabled {
        provider(app)
    } else {
        discovery(app, req)
    };
    Ok(Reply::public(&document, app.settings.tokens.jwks_max_age))
}

/// RFC 8414 and OpenID Connect Discovery 1.0: the OAuth provider's
/// metadata, served at both paths. Its `issuer` is `ISSUER` (required
/// with the provider on). It states what the provider does and no more: no
/// implicit flow and no password grant (RFC 9700 §2.1.2, §2.4), exact
/// redirect URIs, PKCE with S256 for every client, the RFC 9207 `iss`
/// parameter.
fn provider<S>(app: &App<S>) -> Value {
    let issuer = app.settings.tokens.issuer.clone().unwrap_or_default();
    let base = issuer.trim_end_matches('/');
    let alg = app.tokens.jwt().algorithm().name();
    let secrets = ["client_secret_basic", "client_secret_post"];
    json!({
        "issuer": issuer,
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
        "introspection_endpoint_auth_methods_supported": secrets,
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [alg],
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "preferred_username", "name", "given_name", "family_name", "email", "email_verified"],
    })
}

/// OpenID Connect Discovery 1.0: the required members, for a service that
/// issues JWT access tokens (it is not an OAuth authorization server:
/// `authorization_endpoint` is the session login).
fn discovery<S>(app: &App<S>, req: &Request<'_>) -> Value {
    let s = &app.settings.tokens;
    let base = match &s.issuer {
        Some(issuer) => issuer.trim_end_matches('/').to_owned(),
        None => {
            let scheme = if req.is_secure() { "https" } else { "http" };
            let host = req.header("host").unwrap_or_default();
            let prefix = req.path().split("/.well-known/").next().unwrap_or_default();
            format!("{scheme}://{host}{prefix}")
        }
    };
    let alg = app.tokens.jwt().algorithm().name();
    let mut document = json!({
        "issuer": s.issuer.clone().unwrap_or_else(|| base.clone()),
        "authorization_endpoint": format!("{base}/login"),
        "token_endpoint": format!("{base}/login/simpleJWT"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [alg],
        "token_endpoint_auth_methods_supported": ["none"],
        "claims_supported": ["token_type", "exp", "iat", "jti", "user_id", "fam", "gen", "auth_time", "aud", "iss", "scope"],
    });
    if let Some(scope) = &s.access_token_scope {
        document["scopes_supported"] = json!([scope]);
    }
    document
}
