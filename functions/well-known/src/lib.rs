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

use auth::App;
use auth::serde_json::{Value, json};
use auth::store::Store;
use auth::web::{Anonymous, Answer, Reply, Request, Serves, View};

pub static VIEW: View<Anonymous> = View::simple_jwt("well-known", Serves::Get).options(
    r#"{"name":"Well Known","description":"The public keys that verify tokens (JWKS) and the OpenID Connect discovery document.","renders":["application/json"],"parses":["application/json","application/x-www-form-urlencoded"]}"#,
);

/// The JWKS or the discovery document, by the path asked for.
pub async fn handler<S: Store>(app: &App<S>, req: &Request<'_>, _: ()) -> Answer {
    let document = match req.path().ends_with("/jwks.json") {
        true => app.tokens.jwt().jwks(),
        false => discovery(app, req),
    };
    Ok(Reply::public(&document, app.settings.tokens.jwks_max_age))
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
