//! Server-rendered HTML (the OAuth provider's login and consent pages):
//! a template's `{{name}}` slots filled with escaped text, and the page's
//! `Content-Security-Policy`, which allows its one inline style sheet and
//! script by their SHA-256 (CSP Level 2 hash sources) and nothing else
//! from anywhere: no CDN, no framing.

use base64::Engine;
use sha2::{Digest, Sha256};

/// `text` safe in HTML text and in a quoted attribute (OWASP's five).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// `template` with each `{{name}}` of `markup` replaced as is (markup this
/// code built, escaping what it took in), then each of `text` escaped.
pub fn fill(template: &str, markup: &[(&str, &str)], text: &[(&str, &str)]) -> String {
    let mut page = template.to_owned();
    for (name, value) in markup {
        page = page.replace(&format!("{{{{{name}}}}}"), value);
    }
    for (name, value) in text {
        page = page.replace(&format!("{{{{{name}}}}}"), &escape(value));
    }
    page
}

/// A CSP hash source for an inline `<style>` or `<script>` body.
fn hash_source(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The policy of a page whose only style sheet is `style` and only script
/// `script` (both inline), which fetches only from its own origin and
/// whose forms go only to its own origin and `form_targets` (a form's
/// redirect must be allowed too: the client's redirect URI).
pub fn policy(style: &str, script: Option<&str>, form_targets: &[String]) -> String {
    let script = script.map_or("'none'".to_owned(), hash_source);
    let mut form_action = "'self'".to_owned();
    for target in form_targets {
        form_action.push(' ');
        form_action.push_str(target);
    }
    format!(
        "default-src 'none'; style-src {}; script-src {script}; connect-src 'self'; \
         img-src 'self' data:; form-action {form_action}; frame-ancestors 'none'; \
         base-uri 'none'",
        hash_source(style)
    )
}

/// What a CSP source list may name for a redirect URI: its origin
/// (`https://app.example.com`) or, for a private-use scheme, the scheme
/// (`com.example.app:`); `None` for anything a source cannot express.
pub fn source_of(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once(':')?;
    let scheme_ok = !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return None;
    }
    let Some(authority) = rest.strip_prefix("//") else {
        return Some(format!("{scheme}:"));
    };
    let host = authority.split(['/', '?', '#']).next().unwrap_or_default();
    let clean = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    (clean && !host.is_empty()).then(|| format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_html_and_attributes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
        );
        let page = fill(
            "<p title=\"{{t}}\">{{t}}</p>{{m}}",
            &[("m", "<b>ok</b>")],
            &[("t", "\"><script>")],
        );
        assert_eq!(
            page,
            "<p title=\"&quot;&gt;&lt;script&gt;\">&quot;&gt;&lt;script&gt;</p><b>ok</b>"
        );
    }

    #[test]
    fn the_policy_allows_only_the_inline_bodies_and_forbids_framing() {
        let p = policy("body{}", Some("x()"), &["https://app.example.com".into()]);
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(p.contains("default-src 'none'"));
        assert!(p.contains("form-action 'self' https://app.example.com"));
        // The hash of "body{}" (sha256, base64).
        assert!(p.contains(&hash_source("body{}")));
        assert!(policy("a", None, &[]).contains("script-src 'none'"));
    }

    #[test]
    fn redirect_uris_become_origins_or_schemes() {
        let s = |u: &str| source_of(u);
        assert_eq!(
            s("https://app.example.com:8443/cb?x=1").as_deref(),
            Some("https://app.example.com:8443")
        );
        assert_eq!(
            s("http://127.0.0.1:3390/cb").as_deref(),
            Some("http://127.0.0.1:3390")
        );
        assert_eq!(
            s("com.example.app:/cb").as_deref(),
            Some("com.example.app:")
        );
        assert_eq!(s("https://a b/cb"), None);
        assert_eq!(s("https://x;script-src *"), None);
        assert_eq!(s("nocolon"), None);
    }
}
