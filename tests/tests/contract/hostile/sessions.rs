//! Session cookies: crafted `Cookie` headers on `info` and `logout`; each
//! refusal also on every endpoint that authenticates.

use super::crafted::*;
use super::*;

#[tokio::test]
async fn hostile_session_cookies() {
    let t = hostile_app().await;
    let (key, _) = session_of_alice(&t).await;
    let alice = r#"{"id":1,"username":"alice"}"#;
    let cookie = |value: &str| Req::get(INFO).cookie_header(value);
    let mut cases = vec![
        // Django's parse_cookie: the last duplicate wins
        case(
            "valid session, then a junk duplicate",
            "info",
            cookie(&format!("sessionid={key}; sessionid=x")),
            401,
            NOT_PROVIDED,
        )
        .cookies(&[DELETION]),
        case(
            "junk, then the valid session",
            "info",
            cookie(&format!("sessionid=x; sessionid={key}")),
            200,
            alice,
        ),
        // Django's parse_cookie strips spaces and unquotes values
        case(
            "the valid session quoted",
            "info",
            cookie(&format!("sessionid=\"{key}\"")),
            200,
            alice,
        ),
        case(
            "spaces around '='",
            "info",
            cookie(&format!("sessionid = {key} ")),
            200,
            alice,
        ),
        case(
            "oversized session id (4 KB)",
            "info",
            cookie(&format!("sessionid={}", "a".repeat(4096))),
            401,
            NOT_PROVIDED,
        )
        .cookies(&[DELETION]),
        case(
            "oversized session id (60 KB)",
            "info",
            cookie(&format!("sessionid={}", "0".repeat(60_000))),
            401,
            NOT_PROVIDED,
        )
        .cookies(&[DELETION]),
        case(
            "the key in capitals",
            "info",
            cookie(&format!("sessionid={}", key.to_ascii_uppercase())),
            401,
            NOT_PROVIDED,
        )
        .cookies(&[DELETION]),
        case(
            "the key plus one character",
            "info",
            cookie(&format!("sessionid={key}0")),
            401,
            NOT_PROVIDED,
        )
        .cookies(&[DELETION]),
        case(
            "a well-formed key naming no session",
            "info",
            cookie(&format!("sessionid={}", "0".repeat(32))),
            401,
            NOT_PROVIDED,
        )
        .cookies(&[DELETION]),
        // cookie names are case-sensitive: nothing presented, nothing deleted
        case(
            "SESSIONID",
            "info",
            cookie(&format!("SESSIONID={key}")),
            401,
            NOT_PROVIDED,
        )
        .cookies(&[]),
        case(
            "60 KB of other cookies",
            "info",
            cookie(&format!("junk={}", "j".repeat(60_000))),
            401,
            NOT_PROVIDED,
        )
        .cookies(&[]),
        case(
            "a session id of 1,000 cookies",
            "info",
            cookie(
                &(0..1000)
                    .map(|i| format!("sessionid={i:032}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            401,
            NOT_PROVIDED,
        )
        .cookies(&[DELETION]),
        // a dead session cookie does not hide a bad Bearer behind it
        case(
            "dead session and a garbage Bearer",
            "info",
            cookie("sessionid=x").header("authorization", "Bearer garbage"),
            401,
            bearer_messages("Token is invalid or expired"),
        )
        .cookies(&[DELETION]),
    ];
    // unsafe methods with a session: logout must delete nothing without CSRF
    cases.push(case(
        "logout with the duplicate-cookie trick and no CSRF token",
        "logout",
        Req::post(LOGOUT).cookie_header(&format!("sessionid=x; sessionid={key}")),
        403,
        detail("CSRF Failed: CSRF cookie not set."),
    ));
    run_reporting("hostile_session_cookies", &t, cases).await;
}
