//! OAuth clients' credentials: their ids and secrets (a confidential
//! client's secret is shown once and stored only as its SHA-256, compared
//! in constant time), and scopes as RFC 6749 §3.3 writes them.

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::base::random::random_string;
use crate::model::client::OAuthClient;

const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A new `client_id`: 22 URL-safe characters (132 bits).
pub fn new_client_id() -> String {
    random_string(22, URL_SAFE)
}

/// A new client secret: 43 URL-safe characters (258 bits), shown once.
pub fn new_client_secret() -> SecretString {
    SecretString::from(random_string(43, URL_SAFE))
}

/// What is stored of a secret: its SHA-256, hex. A secret is random and
/// long, so a plain hash is enough (no one guesses its preimage).
pub fn secret_hash(secret: &SecretString) -> String {
    hex::encode(Sha256::digest(secret.expose_secret().as_bytes()))
}

/// Whether `presented` is `client`'s secret (false for a public client),
/// compared in constant time.
pub fn secret_matches(client: &OAuthClient, presented: &SecretString) -> bool {
    let Some(stored) = &client.secret_hash else {
        return false;
    };
    let presented = secret_hash(presented);
    presented.as_bytes().ct_eq(stored.as_bytes()).into()
}

/// A new authorization code (43 URL-safe characters, 258 bits) and the
/// id of its item (`code#<sha256 hex>`): only the hash is stored.
pub fn new_code() -> (SecretString, String) {
    let code = new_client_secret();
    let id = code_item_id(code.expose_secret());
    (code, id)
}

/// The item id of a presented code.
pub fn code_item_id(code: &str) -> String {
    crate::model::code::AuthorizationCode::item_key(&hex::encode(Sha256::digest(code.as_bytes())))
}

/// Whether `challenge` is an S256 `code_challenge` (RFC 7636 §4.2:
/// BASE64URL of a SHA-256, 43 characters).
pub fn valid_code_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// RFC 7636 §4.6: whether `verifier` (43 to 128 unreserved characters)
/// hashes, with S256, to `challenge`; compared in constant time.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    use base64::Engine;
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !well_formed {
        return false;
    }
    let digest = Sha256::digest(verifier.as_bytes());
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    computed.as_bytes().ct_eq(challenge.as_bytes()).into()
}

/// The scopes of a `scope` parameter (RFC 6749 §3.3: space-delimited,
/// each of `%x21 / %x23-5B / %x5D-7E`), in order, without repeats; `None`
/// if it is not a scope.
pub fn parse_scope(value: &str) -> Option<Vec<&str>> {
    let mut scopes: Vec<&str> = Vec::new();
    for token in value.split(' ') {
        let valid = !token.is_empty()
            && token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
        if !valid {
            return None;
        }
        if !scopes.contains(&token) {
            scopes.push(token);
        }
    }
    Some(scopes)
}

/// Whether `uri` may be registered as a redirect URI (RFC 9700 §2.1,
/// RFC 8252 for native apps): `https://…`; `http://` only on a loopback
/// host (`localhost`, `127.0.0.1`, `[::1]`); or a private-use scheme in
/// reverse-domain form (`com.example.app:/callback`). Never a fragment;
/// at most 2,000 characters, with no spaces or control characters.
pub fn check_redirect_uri(uri: &str) -> Result<(), &'static str> {
    if uri.len() > 2000 || uri.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err("a redirect URI has no spaces or control characters (at most 2000)");
    }
    if uri.contains('#') {
        return Err("a redirect URI has no fragment");
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err("a redirect URI is absolute");
    };
    let host = |rest: &str| -> Option<String> {
        let authority = rest.strip_prefix("//")?.split(['/', '?']).next()?;
        let host = match authority.rsplit_once('@') {
            Some((_, host)) => host,
            None => authority,
        };
        let host = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next()?.to_owned(),
            None => host.split(':').next()?.to_ascii_lowercase(),
        };
        (!host.is_empty()).then_some(host)
    };
    match scheme {
        "https" => host(rest)
            .map(|_| ())
            .ok_or("an https redirect URI names a host"),
        "http" => match host(rest).as_deref() {
            Some("localhost" | "127.0.0.1" | "::1") => Ok(()),
            _ => Err("http redirect URIs are for loopback hosts only (RFC 8252 §7.3)"),
        },
        private
            if private.contains('.')
                && private
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'))
                && private.as_bytes()[0].is_ascii_alphabetic() =>
        {
            Ok(())
        }
        _ => Err(
            "a redirect URI is https, http on a loopback host, or a private-use scheme such as com.example.app:/callback",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::client::Grant;

    fn client(secret: Option<&SecretString>) -> OAuthClient {
        OAuthClient {
            client_id: new_client_id(),
            name: "c".into(),
            secret_hash: secret.map(secret_hash),
            redirect_uris: vec![],
            first_party: false,
            scopes: vec![],
            grants: vec![Grant::ClientCredentials],
            created: 0,
        }
    }

    #[test]
    fn a_secret_matches_only_itself_and_is_stored_hashed() {
        let secret = new_client_secret();
        let c = client(Some(&secret));
        assert!(secret_matches(&c, &secret));
        assert_ne!(c.secret_hash.as_deref(), Some(secret.expose_secret()));
        assert!(!secret_matches(&c, &new_client_secret()));
        assert!(!secret_matches(&c, &SecretString::from(String::new())));
        assert!(!secret_matches(&client(None), &secret));
        assert_eq!(secret.expose_secret().len(), 43);
        assert_ne!(new_client_id(), new_client_id());
    }

    #[test]
    fn pkce_s256_as_rfc_7636_appendix_b_computes_it() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(valid_code_challenge(challenge));
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(&verifier.replace('d', "e"), challenge));
        // `plain` is not S256: the verifier is not its own challenge.
        assert!(!pkce_matches(challenge, challenge));
        assert!(!pkce_matches("short", challenge));
        assert!(!valid_code_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c"
        ));
        let (code, id) = new_code();
        assert_eq!(code_item_id(code.expose_secret()), id);
        assert!(id.starts_with("code#") && !id.contains(code.expose_secret()));
    }

    #[test]
    fn redirect_uris_that_may_be_registered() {
        for ok in [
            "https://app.example.com/callback",
            "https://app.example.com/cb?x=1",
            "http://localhost:3000/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:8080/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert_eq!(check_redirect_uri(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "/callback",
            "http://app.example.com/cb",
            "https://app.example.com/cb#frag",
            "https:///cb",
            "javascript:alert(1)",
            "https://app.example.com/a b",
            "myapp:/cb",
        ] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scopes_as_rfc_6749_writes_them() {
        assert_eq!(parse_scope("a b a"), Some(vec!["a", "b"]));
        assert_eq!(parse_scope("openid"), Some(vec!["openid"]));
        for bad in ["", " a", "a  b", "a\"b", "a\\b", "é", "a\tb"] {
            assert_eq!(parse_scope(bad), None, "{bad:?}");
        }
    }
}
