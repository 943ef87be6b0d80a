//! Session cookies: crafted `Cookie` headers on `info` and `logout`; each
//! refusal also on every endpoint that authenticates.

use super::crafted::*;
use super::runner::*;
use crate::helpers::*;

/// What `info` makes of a crafted `Cookie` header.
enum Seen {
    /// alice, by her session.
    Alice,
    /// A dead session: 401, and its cookie deleted.
    Dead,
    /// No session at all: 401, and nothing deleted.
    Absent,
}

#[tokio::test]
async fn hostile_session_cookies() {
    let t = unthrottled_app().await;
    let (key, _) = session_of_alice(&t).await;
    let thousand = (0..1000)
        .map(|i| format!("sessionid={i:032}"))
        .collect::<Vec<_>>()
        .join("; ");
    let headers = [
        // Django's parse_cookie: the last duplicate wins
        (
            "valid session, then a junk duplicate",
            format!("sessionid={key}; sessionid=x"),
            Seen::Dead,
        ),
        (
            "junk, then the valid session",
            format!("sessionid=x; sessionid={key}"),
            Seen::Alice,
        ),
        // Django's parse_cookie strips spaces and unquotes values
        (
            "the valid session quoted",
            format!("sessionid=\"{key}\""),
            Seen::Alice,
        ),
        (
            "spaces around '='",
            format!("sessionid = {key} "),
            Seen::Alice,
        ),
        (
            "oversized session id (4 KB)",
            format!("sessionid={}", "a".repeat(4096)),
            Seen::Dead,
        ),
        (
            "oversized session id (60 KB)",
            format!("sessionid={}", "0".repeat(60_000)),
            Seen::Dead,
        ),
        (
            "the key in capitals",
            format!("sessionid={}", key.to_ascii_uppercase()),
            Seen::Dead,
        ),
        (
            "the key plus one character",
            format!("sessionid={key}0"),
            Seen::Dead,
        ),
        (
            "a well-formed key naming no session",
            format!("sessionid={}", "0".repeat(32)),
            Seen::Dead,
        ),
        // cookie names are case-sensitive: nothing presented, nothing deleted
        ("SESSIONID", format!("SESSIONID={key}"), Seen::Absent),
        (
            "60 KB of other cookies",
            format!("junk={}", "j".repeat(60_000)),
            Seen::Absent,
        ),
        ("a session id of 1,000 cookies", thousand, Seen::Dead),
    ];
    let mut cases: Vec<Case> = headers
        .into_iter()
        .map(|(name, header, seen)| {
            let req = Req::get(INFO).cookie_header(&header);
            match seen {
                Seen::Alice => case(name, "info", req, 200, ALICE),
                Seen::Dead => case(name, "info", req, 401, NOT_PROVIDED).cookies(&[DELETION]),
                Seen::Absent => case(name, "info", req, 401, NOT_PROVIDED).cookies(&[]),
            }
        })
        .collect();
    // a dead session cookie does not hide a bad Bearer behind it
    cases.push(
        case(
            "dead session and a garbage Bearer",
            "info",
            Req::get(INFO)
                .cookie_header("sessionid=x")
                .header("authorization", "Bearer garbage"),
            401,
            bearer_messages("Token is invalid or expired"),
        )
        .cookies(&[DELETION]),
    );
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
