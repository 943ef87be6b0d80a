//! The OAuth provider's shared half: its parameters (RFC 6749 §3.2: a
//! form, each parameter at most once) and client authentication (§2.3:
//! `client_secret_basic`, `client_secret_post`, or a public client's bare
//! `client_id`, exactly one of them).

use secrecy::SecretString;

use crate::app::App;
use crate::base::audit::{self, Event, Subject};
use crate::credentials::oauth::secret_matches;
use crate::model::client::OAuthClient;
use crate::store::ClientStore;
use crate::web::body::Data;
use crate::web::contract::{ApiError, OAuthError, oauth_words};
use crate::web::request::Request;

/// The OAuth provider is off (`OAUTH_ENABLED`): its endpoints are not
/// there (404), as a Django URL that is not routed.
pub fn enabled<S>(app: &App<S>) -> Result<(), ApiError> {
    match app.settings.oauth.enabled {
        true => Ok(()),
        false => Err(ApiError::NotFound),
    }
}

/// The request's parameters: the form's (or the query's), each at most once.
pub struct Params<'r> {
    pairs: &'r [(String, String)],
}

impl<'r> Params<'r> {
    /// The body's parameters: a form (an empty body has none); JSON or a
    /// repeated parameter is `invalid_request`.
    pub fn of(req: &'r Request<'_>) -> Result<Self, OAuthError> {
        let pairs: &[(String, String)] = match req.data() {
            Data::Form(pairs) => pairs,
            Data::Json(serde_json::Value::Object(map)) if map.is_empty() => &[],
            Data::Json(_) => return Err(OAuthError::InvalidRequest(oauth_words::NOT_A_FORM)),
        };
        Self::from_pairs(pairs)
    }

    /// `pairs` (a query's), each at most once, else `invalid_request`.
    pub fn from_pairs(pairs: &'r [(String, String)]) -> Result<Self, OAuthError> {
        let repeated = pairs
            .iter()
            .enumerate()
            .any(|(i, (k, _))| pairs[..i].iter().any(|(earlier, _)| earlier == k));
        match repeated {
            true => Err(OAuthError::InvalidRequest(oauth_words::REPEATED)),
            false => Ok(Params { pairs }),
        }
    }

    /// A parameter; an empty one counts as absent (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&'r str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// A required parameter, or `invalid_request` with `missing`.
    pub fn require(&self, name: &str, missing: &'static str) -> Result<&'r str, OAuthError> {
        self.get(name).ok_or(OAuthError::InvalidRequest(missing))
    }
}

/// The client making the request, authenticated by exactly one method:
/// `Authorization: Basic` (its id and secret form-urlencoded, RFC 6749
/// §2.3.1), `client_id` and `client_secret` in the form, or (a public
/// client) `client_id` alone. An unknown client, a wrong or missing
/// secret of a confidential client, a secret for a public one, or two
/// methods at once: `invalid_client` (401).
pub async fn authenticate_client<S: ClientStore>(
    app: &App<S>,
    req: &Request<'_>,
    params: &Params<'_>,
) -> Result<OAuthClient, ApiError> {
    let basic = match req.header("authorization") {
        Some(value) => Some(basic_credentials(&value).ok_or(OAuthError::InvalidClient)?),
        None => None,
    };
    let posted = (params.get("client_id"), params.get("client_secret"));
    let (client_id, secret) = match (basic, posted) {
        (Some((id, secret)), (None, None)) => (id, Some(secret)),
        (Some((id, secret)), (Some(posted_id), None)) if posted_id == id => (id, Some(secret)),
        (None, (Some(id), secret)) => (id.to_owned(), secret.map(str::to_owned)),
        _ => return Err(OAuthError::InvalidClient.into()),
    };
    let failed = |reason: &str| {
        audit::emit(
            Event::OAuthClientFailed,
            Subject::Client(&client_id),
            reason,
        );
        Err(OAuthError::InvalidClient.into())
    };
    let Some(client) = app.store.oauth_client(&client_id).await? else {
        return failed("unknown_client");
    };
    let authenticated = match (client.is_confidential(), secret) {
        (true, Some(secret)) => secret_matches(&client, &SecretString::from(secret)),
        (false, None) => true,
        _ => false,
    };
    match authenticated {
        true => Ok(client),
        false => failed("wrong_secret"),
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, strictly.
fn basic_credentials(header: &str) -> Option<(String, String)> {
    use base64::Engine;
    let encoded = header.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |part: &str| -> String {
        form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let (id, secret) = (unescape(id), unescape(secret));
    (!id.is_empty()).then_some((id, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_urlencoded_inside_base64() {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert_eq!(
            basic_credentials(&format!("Basic {}", b64("my%20id:a%2Bb+c"))),
            Some(("my id".into(), "a+b c".into()))
        );
        assert_eq!(
            basic_credentials(&format!("Basic {}", b64("nocolon"))),
            None
        );
        assert_eq!(
            basic_credentials(&format!("Basic {}", b64(":secret"))),
            None
        );
        assert_eq!(basic_credentials("Bearer abc"), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
    }
}
