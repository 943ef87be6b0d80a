//! Django's CSRF protection, as DRF's `SessionAuthentication` applies it to
//! requests authenticated by session cookie with an unsafe method.
//!
//! Order and wording are Django's `CsrfViewMiddleware`: the `Origin` check
//! (or, on HTTPS without `Origin`, the `Referer` check), then the cookie, then
//! the token (the `csrfmiddlewaretoken` form field of a POST, else the
//! `X-CSRFToken` header), unmasked and compared in constant time. Failures
//! are [`CsrfFailure`]s; Django's wording of each is in `contract.rs`.

use subtle::ConstantTimeEq;

use crate::base::random::random_string;

/// `[a-zA-Z0-9]`, the alphabet of secrets and masked tokens.
const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub const SECRET_LENGTH: usize = 32;
pub const TOKEN_LENGTH: usize = 64;

/// A new CSRF secret: 32 random characters `[a-zA-Z0-9]`.
pub fn new_secret() -> String {
    random_string(SECRET_LENGTH, CHARS)
}

/// Django's masked form of `secret` (64 characters), as a page would embed it.
pub fn mask(secret: &str) -> String {
    let mask = new_secret();
    let pos = |c: u8| CHARS.iter().position(|x| *x == c).unwrap_or(0);
    let cipher: String = secret
        .bytes()
        .zip(mask.bytes())
        .map(|(s, m)| CHARS[(pos(s) + pos(m)) % CHARS.len()] as char)
        .collect();
    mask + &cipher
}

fn unmask(token: &str) -> String {
    let (mask, cipher) = token.as_bytes().split_at(SECRET_LENGTH);
    let pos = |c: u8| CHARS.iter().position(|x| *x == c).unwrap_or(0) as isize;
    cipher
        .iter()
        .zip(mask)
        .map(|(c, m)| CHARS[(pos(*c) - pos(*m)).rem_euclid(CHARS.len() as isize) as usize] as char)
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatError {
    Length,
    Characters,
}

/// Django's `_check_token_format`.
pub fn check_format(token: &str) -> Result<(), FormatError> {
    if token.len() != SECRET_LENGTH && token.len() != TOKEN_LENGTH {
        return Err(FormatError::Length);
    }
    if !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(FormatError::Characters);
    }
    Ok(())
}

/// The secret a well-formed cookie holds (Django still accepts masked cookies).
pub fn cookie_secret(cookie: &str) -> Result<String, FormatError> {
    check_format(cookie)?;
    Ok(if cookie.len() == TOKEN_LENGTH {
        unmask(cookie)
    } else {
        cookie.to_owned()
    })
}

/// Where the submitted token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    Post,
    Header,
}

/// Why the check failed (Django's reasons, worded in `contract.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsrfFailure {
    BadOrigin(String),
    NoReferer,
    MalformedReferer,
    InsecureReferer,
    BadReferer(String),
    CookieNotSet,
    Cookie(FormatError),
    TokenMissing,
    Token(FormatError, TokenSource),
    Incorrect(TokenSource),
}

/// What the check needs from the request.
pub struct CsrfRequest<'a> {
    pub is_post: bool,
    pub origin: Option<&'a str>,
    pub referer: Option<&'a str>,
    /// The `Host` header (host and port).
    pub host: Option<&'a str>,
    pub is_secure: bool,
    pub cookie: Option<&'a str>,
    /// `csrfmiddlewaretoken` of a form-encoded POST body.
    pub form_token: Option<&'a str>,
    pub header_token: Option<&'a str>,
}

/// Django's `Origin` check alone: an `Origin`, if sent, must be the
/// request's own or trusted.
pub fn check_origin(req: &CsrfRequest<'_>, trusted_origins: &[String]) -> Result<(), CsrfFailure> {
    match req.origin {
        Some(origin) if !origin_verified(req, origin, trusted_origins) => {
            Err(CsrfFailure::BadOrigin(origin.to_owned()))
        }
        _ => Ok(()),
    }
}

/// Runs Django's checks for an unsafe request.
pub fn check(req: &CsrfRequest<'_>, trusted_origins: &[String]) -> Result<(), CsrfFailure> {
    if req.origin.is_some() {
        check_origin(req, trusted_origins)?;
    } else if req.is_secure {
        check_referer(req, trusted_origins)?;
    }
    let secret = match req.cookie {
        None => return Err(CsrfFailure::CookieNotSet),
        Some(c) => cookie_secret(c).map_err(CsrfFailure::Cookie)?,
    };
    let (token, source) = match req.form_token.filter(|t| req.is_post && !t.is_empty()) {
        Some(t) => (t, TokenSource::Post),
        None => (
            req.header_token.ok_or(CsrfFailure::TokenMissing)?,
            TokenSource::Header,
        ),
    };
    check_format(token).map_err(|e| CsrfFailure::Token(e, source))?;
    let token = if token.len() == TOKEN_LENGTH {
        unmask(token)
    } else {
        token.to_owned()
    };
    if bool::from(token.as_bytes().ct_eq(secret.as_bytes())) {
        Ok(())
    } else {
        Err(CsrfFailure::Incorrect(source))
    }
}

/// Splits `scheme://netloc[/...]`; None if there is no scheme.
fn split_url(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some((scheme, &rest[..end]))
}

/// Django's `is_same_domain`: `pattern` is a host, or `.example.com` for
/// example.com and its subdomains.
fn is_same_domain(host: &str, pattern: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    let pattern = pattern.to_ascii_lowercase();
    (pattern.starts_with('.') && (host.ends_with(&pattern) || host == &pattern[1..]))
        || pattern == host
}

fn origin_verified(req: &CsrfRequest<'_>, origin: &str, trusted: &[String]) -> bool {
    if let Some(host) = req.host {
        let scheme = if req.is_secure { "https" } else { "http" };
        if origin == format!("{scheme}://{host}") {
            return true;
        }
    }
    if trusted.iter().any(|t| !t.contains('*') && t == origin) {
        return true;
    }
    let Some((scheme, netloc)) = split_url(origin) else {
        return false;
    };
    trusted
        .iter()
        .filter(|t| t.contains('*'))
        .filter_map(|t| split_url(t))
        .filter(|(s, _)| *s == scheme)
        .any(|(_, pattern)| is_same_domain(netloc, pattern.trim_start_matches('*')))
}

fn check_referer(req: &CsrfRequest<'_>, trusted: &[String]) -> Result<(), CsrfFailure> {
    let referer = req.referer.ok_or(CsrfFailure::NoReferer)?;
    let (scheme, netloc) = split_url(referer).ok_or(CsrfFailure::MalformedReferer)?;
    if netloc.is_empty() {
        return Err(CsrfFailure::MalformedReferer);
    }
    if scheme != "https" {
        return Err(CsrfFailure::InsecureReferer);
    }
    let trusted_hosts = trusted
        .iter()
        .filter_map(|t| split_url(t))
        .map(|(_, netloc)| netloc.trim_start_matches('*'));
    for host in trusted_hosts {
        if is_same_domain(netloc, host) {
            return Ok(());
        }
    }
    match req.host {
        Some(host) if is_same_domain(netloc, host) => Ok(()),
        _ => Err(CsrfFailure::BadReferer(referer.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(cookie: Option<&'a str>, header: Option<&'a str>) -> CsrfRequest<'a> {
        CsrfRequest {
            is_post: true,
            origin: None,
            referer: None,
            host: Some("127.0.0.1:9000"),
            is_secure: false,
            cookie,
            form_token: None,
            header_token: header,
        }
    }

    #[test]
    fn secrets_are_32_alphanumerics_and_masks_round_trip() {
        let s = new_secret();
        assert_eq!(s.len(), 32);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
        let masked = mask(&s);
        assert_eq!(masked.len(), 64);
        assert_ne!(&masked[32..], s);
        assert_eq!(unmask(&masked), s);
    }

    #[test]
    fn unmasks_like_django() {
        // django.middleware.csrf._unmask_cipher_token on a token made by
        // _mask_cipher_secret("a" * 32) with mask "b" * 32.
        let token = format!("{}{}", "b".repeat(32), "c".repeat(32));
        assert_eq!(unmask(&token), "b".repeat(32));
        // wrap-around: mask "9" (index 61), cipher "a" (index 0) -> index 1 = "b"
        let token = format!("{}{}", "9".repeat(32), "a".repeat(32));
        assert_eq!(unmask(&token), "b".repeat(32));
    }

    #[test]
    fn django_reasons_in_django_order() {
        let secret = new_secret();
        let ok = request(Some(&secret), Some(&secret));
        assert_eq!(check(&ok, &[]), Ok(()));
        let masked = mask(&secret);
        assert_eq!(check(&request(Some(&secret), Some(&masked)), &[]), Ok(()));
        assert_eq!(check(&request(Some(&masked), Some(&secret)), &[]), Ok(()));

        let msg = |r: CsrfRequest<'_>| check(&r, &[]).unwrap_err().to_string();
        assert_eq!(msg(request(None, Some(&secret))), "CSRF cookie not set.");
        assert_eq!(
            msg(request(Some("short"), Some(&secret))),
            "CSRF cookie has incorrect length."
        );
        assert_eq!(
            msg(request(Some(&"!".repeat(32)), Some(&secret))),
            "CSRF cookie has invalid characters."
        );
        assert_eq!(msg(request(Some(&secret), None)), "CSRF token missing.");
        assert_eq!(
            msg(request(Some(&secret), Some("abc"))),
            "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length."
        );
        assert_eq!(
            msg(request(Some(&secret), Some(&"-".repeat(32)))),
            "CSRF token from the 'X-Csrftoken' HTTP header has invalid characters."
        );
        assert_eq!(
            msg(request(Some(&secret), Some(&new_secret()))),
            "CSRF token from the 'X-Csrftoken' HTTP header incorrect."
        );
        let wrong_mask = mask(&new_secret());
        assert_eq!(
            msg(request(Some(&secret), Some(&wrong_mask))),
            "CSRF token from the 'X-Csrftoken' HTTP header incorrect."
        );
        let mut form = request(Some(&secret), None);
        form.form_token = Some("x");
        assert_eq!(msg(form), "CSRF token from POST has incorrect length.");
    }

    #[test]
    fn origin_must_be_own_host_or_trusted() {
        let secret = new_secret();
        let with_origin = |origin: &'static str| {
            let mut r = request(Some(Box::leak(secret.clone().into_boxed_str())), None);
            r.header_token = r.cookie;
            r.origin = Some(origin);
            r
        };
        assert_eq!(check(&with_origin("http://127.0.0.1:9000"), &[]), Ok(()));
        assert_eq!(
            check(&with_origin("http://evil.example"), &[])
                .unwrap_err()
                .to_string(),
            "Origin checking failed - http://evil.example does not match any trusted origins."
        );
        assert!(check(&with_origin("https://127.0.0.1:9000"), &[]).is_err());
        assert!(check(&with_origin("null"), &[]).is_err());
        let trusted = vec![
            "https://app.example.com".to_owned(),
            "https://*.example.org".to_owned(),
        ];
        assert_eq!(
            check(&with_origin("https://app.example.com"), &trusted),
            Ok(())
        );
        assert_eq!(
            check(&with_origin("https://a.example.org"), &trusted),
            Ok(())
        );
        assert_eq!(check(&with_origin("https://example.org"), &trusted), Ok(()));
        assert!(check(&with_origin("http://a.example.org"), &trusted).is_err());
        assert!(check(&with_origin("https://evilexample.org"), &trusted).is_err());
    }

    #[test]
    fn https_without_origin_needs_a_good_referer() {
        let secret = new_secret();
        let mut r = request(Some(&secret), Some(&secret));
        r.is_secure = true;
        r.host = Some("api.example.com");
        let msg = |r: &CsrfRequest<'_>| check(r, &[]).map_err(|e| e.to_string());
        assert_eq!(msg(&r), Err("Referer checking failed - no Referer.".into()));
        r.referer = Some("nonsense");
        assert_eq!(
            msg(&r),
            Err("Referer checking failed - Referer is malformed.".into())
        );
        r.referer = Some("http://api.example.com/");
        assert_eq!(
            msg(&r),
            Err("Referer checking failed - Referer is insecure while host is secure.".into())
        );
        r.referer = Some("https://evil.example/x");
        assert_eq!(
            msg(&r),
            Err(
                "Referer checking failed - https://evil.example/x does not match any trusted origins."
                    .into()
            )
        );
        r.referer = Some("https://api.example.com/page");
        assert_eq!(msg(&r), Ok(()));
    }
}
