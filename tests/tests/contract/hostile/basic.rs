//! `Authorization: Basic`: crafted credentials on `info`; each refusal also
//! on every endpoint that authenticates.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::crafted::*;
use super::runner::*;
use crate::helpers::*;

#[tokio::test]
async fn hostile_basic_credentials() {
    let t = unthrottled_app().await;
    let invalid = detail("Invalid username/password.");
    let basic = |raw: &[u8]| format!("Basic {}", STANDARD.encode(raw));
    let long = "a".repeat(30_000);
    // Credentials that decode, but name no user with that password.
    let wrong_users: [(&str, Vec<u8>); 6] = [
        ("not UTF-8 (Latin-1 then)", b"\xff\xfe:\x80\x81".to_vec()),
        ("NUL in the username", b"ali\0ce:pw".to_vec()),
        (
            "NUL after the right password",
            format!("alice:{ALICE_PASSWORD}\0").into_bytes(),
        ),
        (
            "username with a trailing space",
            format!("alice :{ALICE_PASSWORD}").into_bytes(),
        ),
        (
            "username in capitals",
            format!("ALICE:{ALICE_PASSWORD}").into_bytes(),
        ),
        (
            "30 KB username and password (a 80 KB header)",
            format!("{long}:{long}").into_bytes(),
        ),
    ];
    let not_base64 = detail("Invalid basic header. Credentials not correctly base64 encoded.");
    let mut cases: Vec<(&str, String, String)> = wrong_users
        .iter()
        .map(|(name, raw)| (*name, basic(raw), invalid.clone()))
        .collect();
    cases.extend([
        (
            "padding in the middle",
            "Basic YW==xpY2U6cHc=".to_owned(),
            not_base64.clone(),
        ),
        (
            "URL-safe alphabet",
            format!("Basic {}", URL_SAFE_NO_PAD.encode(b"\xfb\xff:\xfe")),
            not_base64,
        ),
    ]);
    let cases = cases
        .into_iter()
        .map(|(name, value, body)| {
            case(
                name,
                "info",
                Req::get(INFO).header("authorization", &value),
                401,
                body,
            )
        })
        .collect();
    run_reporting("hostile_basic_credentials", &t, cases).await;
}

/// Python's `base64.b64decode` (DRF's Basic) stops at complete padding and
/// ignores what follows; so do we, and the password is checked.
#[tokio::test]
async fn basic_ignores_data_after_the_base64_padding_like_python() {
    let t = unthrottled_app().await;
    let basic = |credentials: &str| {
        Req::get(INFO).header(
            "authorization",
            &format!("Basic {}junk", STANDARD.encode(credentials)),
        )
    };
    let cases = vec![
        case(
            "alice:wrong, then junk after the padding",
            "info",
            basic("alice:wrong"),
            401,
            detail("Invalid username/password."),
        ),
        case(
            "alice's right password, then junk after the padding",
            "info",
            basic(&format!("alice:{ALICE_PASSWORD}")),
            200,
            r#"{"id":1,"username":"alice"}"#,
        ),
    ];
    run_reporting(
        "basic_ignores_data_after_the_base64_padding_like_python",
        &t,
        cases,
    )
    .await;
}
