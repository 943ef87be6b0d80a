//! CSRF and `Origin` on a session logout (a success would delete the
//! session); each refusal also on every endpoint that authenticates.

use integration_tests::auth::policy::csrf;

use super::crafted::*;
use super::runner::*;
use crate::helpers::*;

#[tokio::test]
async fn hostile_csrf_and_origins() {
    let t = unthrottled_app().await;
    let (key, token) = session_of_alice(&t).await;
    let logout = |header: &str| {
        Req::post(LOGOUT)
            .session(&key, &token)
            .header("x-csrftoken", header)
    };
    let failed = |reason: &str| detail(&format!("CSRF Failed: {reason}"));
    let incorrect = failed("CSRF token from the 'X-Csrftoken' HTTP header incorrect.");
    let masked = csrf::mask(&token);
    // flip one character of the cipher half of the right masked token
    let flipped = {
        let mut bytes = masked.clone().into_bytes();
        bytes[40] = if bytes[40] == b'a' { b'b' } else { b'a' };
        String::from_utf8(bytes).unwrap()
    };
    let mut cases = vec![
        case(
            "masked token of another secret",
            "logout",
            logout(&csrf::mask(&csrf::new_secret())),
            403,
            &incorrect,
        ),
        case(
            "masked right secret, one cipher character changed",
            "logout",
            logout(&flipped),
            403,
            &incorrect,
        ),
        case(
            "the mask half only",
            "logout",
            logout(&masked[..32]),
            403,
            &incorrect,
        ),
        case(
            "64 characters, not alphanumeric",
            "logout",
            logout(&"-".repeat(64)),
            403,
            failed("CSRF token from the 'X-Csrftoken' HTTP header has invalid characters."),
        ),
        case(
            "63 characters",
            "logout",
            logout(&masked[..63]),
            403,
            failed("CSRF token from the 'X-Csrftoken' HTTP header has incorrect length."),
        ),
        case(
            "the session key as token",
            "logout",
            logout(&key),
            403,
            &incorrect,
        ),
        case(
            "an empty csrftoken cookie",
            "logout",
            Req::post(LOGOUT)
                .cookie("sessionid", &key)
                .cookie("csrftoken", "")
                .header("x-csrftoken", &token),
            403,
            failed("CSRF cookie has incorrect length."),
        ),
        case(
            "a junk csrftoken cookie after the real one (last wins)",
            "logout",
            Req::post(LOGOUT)
                .cookie_header(&format!(
                    "sessionid={key}; csrftoken={token}; csrftoken={}",
                    csrf::new_secret()
                ))
                .header("x-csrftoken", &token),
            403,
            &incorrect,
        ),
        case(
            "a form field token of another secret wins over the right header",
            "logout",
            logout(&token).form(&[("csrfmiddlewaretoken", &csrf::new_secret())]),
            403,
            failed("CSRF token from POST incorrect."),
        ),
    ];
    cases.push(case(
        "csrfmiddlewaretoken in a JSON body (only forms count)",
        "logout",
        Req::post(LOGOUT)
            .session(&key, &token)
            .json(&json!({ "csrfmiddlewaretoken": token })),
        403,
        failed("CSRF token missing."),
    ));
    cases.push(case(
        "a 70 KB body with the right CSRF token: 413 before anything",
        "logout",
        logout(&token).raw_body("application/json", &vec![b' '; 70_000]),
        413,
        detail("Request body too large."),
    ));
    for origin in [
        "null",
        "",
        "http://127.0.0.1:9000.evil.example",
        "http://127.0.0.1:9000@evil.example",
        "http://evil.example#@127.0.0.1:9000",
        "http://127.0.0.1:90000",
        "https://127.0.0.1:9000",
        "HTTP://127.0.0.1:9000",
        "http://127.0.0.1:9000/",
        "http://127.0.0.1",
        "http://localhost:9000",
        "http://127.0.0.1:9000 ",
        "http://127.0.0.1:9000,http://evil.example",
        "file://",
    ] {
        cases.push(case(
            format!("Origin {origin:?}"),
            "logout",
            logout(&token).header("origin", origin),
            403,
            failed(&format!(
                "Origin checking failed - {origin} does not match any trusted origins."
            )),
        ));
    }
    // two Origin headers arrive joined
    cases.push(case(
        "two Origin headers, the good one first",
        "logout",
        logout(&token)
            .header("origin", "http://127.0.0.1:9000")
            .header("origin", "http://evil.example"),
        403,
        failed(
            "Origin checking failed - http://127.0.0.1:9000,http://evil.example does not match any trusted origins.",
        ),
    ));
    // over HTTPS the origin must be https
    cases.push(case(
        "https request, http Origin of the same host",
        "logout",
        logout(&token)
            .header("x-forwarded-proto", "https")
            .header("origin", "http://127.0.0.1:9000"),
        403,
        failed(
            "Origin checking failed - http://127.0.0.1:9000 does not match any trusted origins.",
        ),
    ));
    cases.push(case(
        "https request, no Origin, Referer a look-alike host",
        "logout",
        logout(&token)
            .header("x-forwarded-proto", "https")
            .header("referer", "https://127.0.0.1:9000.evil.example/"),
        403,
        failed(
            "Referer checking failed - https://127.0.0.1:9000.evil.example/ does not match any trusted origins.",
        ),
    ));
    run_reporting("hostile_csrf_and_origins", &t, cases).await;
}

/// Django rejects any `Origin` that is not trusted; one with bytes outside
/// visible ASCII is an untrusted origin, never an absent one. The origin is
/// named as sent; Django behind WSGI would show its bytes as Latin-1 (`Ã©`).
#[tokio::test]
async fn a_non_ascii_origin_is_refused_not_ignored() {
    let t = unthrottled_app().await;
    let (key, token) = session_of_alice(&t).await;
    let origin = "http://127.0.0.1:9000\u{e9}";
    let cases = vec![case(
        "Origin with a non-ASCII character",
        "logout",
        Req::post(LOGOUT)
            .session_with_csrf(&key, &token)
            .header("origin", origin),
        403,
        detail(&format!(
            "CSRF Failed: Origin checking failed - {origin} does not match any trusted origins."
        )),
    )];
    run_reporting("a_non_ascii_origin_is_refused_not_ignored", &t, cases).await;
}

/// A non-ASCII `X-CSRFToken` is present, never missing: Django's "invalid
/// characters" for a 32-byte header.
#[tokio::test]
async fn a_non_ascii_csrf_header_has_invalid_characters() {
    let t = unthrottled_app().await;
    let (key, token) = session_of_alice(&t).await;
    let header = format!("\u{e9}{}", "a".repeat(30));
    assert_eq!(header.len(), 32);
    let cases = vec![case(
        "X-CSRFToken of 32 bytes with a non-ASCII character",
        "logout",
        Req::post(LOGOUT)
            .session(&key, &token)
            .header("x-csrftoken", &header),
        403,
        detail(
            "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header has invalid characters.",
        ),
    )];
    run_reporting("a_non_ascii_csrf_header_has_invalid_characters", &t, cases).await;
}
