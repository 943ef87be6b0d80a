//! Throttling of password guessing: per (username, address), per username
//! and per client address, before any hashing, on every path that checks a
//! password — without letting anyone lock a victim out.

use integration_tests::{ALICE_PASSWORD, Req, Resp, TestApp, call, spawn_app, spawn_app_with};
use serde_json::json;

use crate::helpers::*;

fn login_as(user: &str, password: &str) -> Req {
    Req::post(LOGIN).json(&json!({"username": user, "password": password}))
}

#[tokio::test]
async fn the_sixth_wrong_password_is_429_and_so_is_the_right_one() {
    let t = spawn_app().await;
    for _ in 0..5 {
        call!(login, t, login_as("alice", "wrong")).assert(403, "");
    }
    t.calls.take();
    let r = call!(login, t, login_as("alice", "wrong"));
    assert_throttled(&r, 900);
    // refused before the user is even read: no password hashing at all
    assert_eq!(t.calls.take(), ["TransactWriteItems"]);
    assert_throttled(&call!(login, t, login_as("alice", ALICE_PASSWORD)), 900);
    // every password path shares the (username, address) counter
    assert_throttled(
        &call!(
            jwt_login,
            t,
            Req::post(JWT_LOGIN).json(&json!({"username":"alice","password":ALICE_PASSWORD}))
        ),
        900,
    );
    assert_throttled(
        &call!(
            token_obtain_pair,
            t,
            Req::post(OBTAIN).json(&json!({"username":"alice","password":ALICE_PASSWORD}))
        ),
        900,
    );
    assert_throttled(
        &call!(info, t, Req::get(INFO).basic("alice", ALICE_PASSWORD)),
        900,
    );
    // other users are not affected
    assert_eq!(
        call!(login, t, login_as("bob", integration_tests::BOB_PASSWORD)).status,
        200
    );
}

#[tokio::test]
async fn a_right_password_resets_the_username_counter() {
    let t = spawn_app().await;
    for _ in 0..4 {
        call!(login, t, login_as("alice", "wrong")).assert(403, "");
    }
    assert_eq!(
        call!(login, t, login_as("alice", ALICE_PASSWORD)).status,
        200
    );
    for _ in 0..5 {
        call!(login, t, login_as("alice", "wrong")).assert(403, "");
    }
    assert_eq!(call!(login, t, login_as("alice", "wrong")).status, 429);
}

#[tokio::test]
async fn addresses_have_their_own_limit() {
    let t = spawn_app_with(&[("THROTTLE_IP_LIMIT", "3")]).await;
    for name in ["u1", "u2", "u3"] {
        call!(login, t, login_as(name, "x").source_ip("203.0.113.9")).assert(403, "");
    }
    assert_throttled(
        &call!(login, t, login_as("u4", "x").source_ip("203.0.113.9")),
        900,
    );
    assert_throttled(
        &call!(
            login,
            t,
            login_as("alice", ALICE_PASSWORD).source_ip("203.0.113.9")
        ),
        900,
    );
    // another address may still try
    assert_eq!(
        call!(
            login,
            t,
            login_as("alice", ALICE_PASSWORD).source_ip("198.51.100.7")
        )
        .status,
        200
    );
}

#[tokio::test]
async fn concurrent_guesses_cannot_slip_past_the_limit() {
    let t = spawn_app().await;
    let results = futures::future::join_all(
        (0..20).map(|_| async { call!(login, t, login_as("alice", "wrong")) }),
    )
    .await;
    let hashed = results.iter().filter(|r| r.status == 403).count();
    let throttled = results.iter().filter(|r| r.status == 429).count();
    assert_eq!((hashed, throttled), (5, 15));
}

#[tokio::test]
async fn basic_auth_and_password_change_are_throttled_too() {
    let t = spawn_app_with(&[("THROTTLE_USERNAME_ADDRESS_LIMIT", "2")]).await;
    let (_, access) = pair_of_alice(&t).await;
    for _ in 0..2 {
        call!(info, t, Req::get(INFO).basic("alice", "wrong"))
            .assert(401, r#"{"detail":"Invalid username/password."}"#);
    }
    assert_throttled(&call!(info, t, Req::get(INFO).basic("alice", "wrong")), 900);
    let change = Req::post(PASSWORD)
        .bearer(&access)
        .json(&json!({"old_password": ALICE_PASSWORD, "new_password": "a fresh passphrase 2026"}));
    assert_throttled(&call!(password_change, t, change), 900);
}

async fn right_password(t: &TestApp) -> Resp {
    call!(login, t, login_as("alice", ALICE_PASSWORD))
}

#[tokio::test]
async fn the_limit_ends_with_the_window() {
    let t = spawn_app_with(&[("THROTTLE_WINDOW", "2"), ("THROTTLE_USERNAME_LIMIT", "1")]).await;
    // Find a window's start, so both attempts below fall in one window.
    let now = integration_tests::auth::base::time::now();
    tokio::time::sleep(std::time::Duration::from_millis(
        ((2 - now.rem_euclid(2)) * 1000 + 50) as u64,
    ))
    .await;
    call!(login, t, login_as("alice", "wrong")).assert(403, "");
    assert_throttled(&right_password(&t).await, 2);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(right_password(&t).await.status, 200, "a new window");
}

#[tokio::test]
async fn a_guesser_cannot_lock_the_owner_out_from_elsewhere() {
    let t = spawn_app().await;
    const A: &str = "203.0.113.9";
    for i in 0..20 {
        let r = call!(login, t, login_as("alice", "wrong").source_ip(A));
        assert_eq!(r.status, if i < 5 { 403 } else { 429 }, "attempt {i}");
    }
    // alice herself, from her own address, with her password
    let r = call!(
        login,
        t,
        login_as("alice", ALICE_PASSWORD).source_ip("198.51.100.7")
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // ... while the guessing address stays throttled for alice
    assert_throttled(
        &call!(login, t, login_as("alice", ALICE_PASSWORD).source_ip(A)),
        900,
    );
}

#[tokio::test]
async fn guessing_spread_over_addresses_does_not_lock_the_owner_out_either() {
    let t = spawn_app().await;
    for address in 1..=8 {
        for _ in 0..2 {
            let req = login_as("bob", "wrong").source_ip(&format!("192.0.2.{address}"));
            call!(login, t, req).assert(403, "");
        }
    }
    let r = call!(
        login,
        t,
        login_as("bob", integration_tests::BOB_PASSWORD).source_ip("198.51.100.200")
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn the_username_ceiling_bounds_guessing_from_many_addresses() {
    let t = spawn_app_with(&[("THROTTLE_USERNAME_LIMIT", "6")]).await;
    for address in 1..=6 {
        let req = login_as("alice", "wrong").source_ip(&format!("192.0.2.{address}"));
        call!(login, t, req).assert(403, "");
    }
    let fresh = login_as("alice", ALICE_PASSWORD).source_ip("198.51.100.1");
    assert_throttled(&call!(login, t, fresh), 900);
    // other usernames are not affected
    let bob = login_as("bob", integration_tests::BOB_PASSWORD).source_ip("198.51.100.1");
    assert_eq!(call!(login, t, bob).status, 200);
}

#[tokio::test]
async fn an_ipv6_client_counts_per_64() {
    let t = spawn_app().await;
    for i in 1..=5 {
        let req = login_as("alice", "wrong").source_ip(&format!("2001:db8:1:2::{i:x}"));
        call!(login, t, req).assert(403, "");
    }
    // another address of the same /64: the same lock
    let same = login_as("alice", ALICE_PASSWORD).source_ip("2001:db8:1:2:ffff::1");
    assert_throttled(&call!(login, t, same), 900);
    // another /64
    let other = login_as("alice", ALICE_PASSWORD).source_ip("2001:db8:1:3::1");
    assert_eq!(call!(login, t, other).status, 200);
}

#[tokio::test]
async fn a_429_says_nothing_about_whether_the_user_exists() {
    let t = spawn_app().await;
    for user in ["alice", "nobody"] {
        for _ in 0..5 {
            call!(login, t, login_as(user, "wrong")).assert(403, "");
        }
    }
    let known = call!(login, t, login_as("alice", "wrong"));
    let unknown = call!(login, t, login_as("nobody", "wrong"));
    assert_throttled(&known, 900);
    assert_throttled(&unknown, 900);
    assert_eq!(
        known.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
        unknown.headers.iter().map(|(k, _)| k).collect::<Vec<_>>()
    );
}
