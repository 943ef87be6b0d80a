//! No enumeration by timing: the median time of `password/reset` and
//! `registration/resend-email` for a known and an unknown address, of
//! `registration` with an address that has an account and a new one, and
//! of `user` PATCH asking for a taken address and a free one —
//! through the real handlers and pipeline, against the DynamoDB-API server
//! (moto, over HTTP, IAM enforced) and a real SQS queue, each request
//! signed as its function, as the contract suite runs them.
//!
//!     cargo bench -p integration-tests --bench enumeration
//!
//! Requests alternate between the cases (the order swapping each round),
//! so the machine's noise falls on both alike; every request names a
//! fresh address (a known one belongs to a user made beforehand), so the
//! recipient limits never refuse one. The bounds: known / unknown
//! at most 1.10, existing / new at sign-up at most 1.25.
//!
//! Not a test: numbers for tests/BENCHMARKS.md ("No enumeration").

use std::time::{Duration, Instant};

use auth::App;
use auth::mail::Outbox;
use auth::store::{DynamoStore, UserAdmin};
use integration_tests::{Req, Resp, Route, moto_config, moto_endpoint, spawn_app_with};
use serde_json::json;

const ROUNDS: usize = 40;

fn median(mut t: Vec<Duration>) -> f64 {
    t.sort();
    t[t.len() / 2].as_secs_f64() * 1000.0
}

fn address(tag: &str, i: usize) -> String {
    let id = &uuid::Uuid::new_v4().simple().to_string()[..10];
    format!("{tag}{i}-{id}@example.com")
}

async fn app() -> (App<DynamoStore>, String) {
    let config = moto_config(&moto_endpoint()).await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let prefix = &uuid::Uuid::new_v4().simple().to_string()[..12];
    // Named as the template's MailQueue for the IAM checks (`<test>-mail`).
    let url = sqs
        .create_queue()
        .queue_name(format!("t{prefix}-mail"))
        .send()
        .await
        .expect("CreateQueue as the admin")
        .queue_url
        .unwrap();
    let vars = [
        ("REGISTRATION_OPEN", "true"),
        (
            "ACTIVATION_URL",
            "https://app.example.test/verify?key={key}",
        ),
        (
            "PASSWORD_RESET_CONFIRM_URL",
            "https://app.example.test/reset/{uid}/{token}",
        ),
        ("THROTTLE_SIGNUP_ADDRESS_LIMIT", "100000"),
    ];
    let t = spawn_app_with(&vars).await;
    let access = t
        .app
        .tokens
        .pair_for(&t.alice, auth::base::time::now(), "127.0.0.1");
    (t.app.with_outbox(Outbox::Queue { sqs, url }), access.access)
}

/// Median ms of `path` with `body(known, i)` for a known and an unknown
/// case, alternating; the statuses must be `status`.
async fn pair(
    app: &App<DynamoStore>,
    path: &str,
    status: u16,
    body: impl Fn(bool, usize) -> serde_json::Value,
) -> (f64, f64) {
    pair_as(app, "POST", None, path, status, body).await
}

/// As [`pair`], with `method` and, if given, a Bearer token.
async fn pair_as(
    app: &App<DynamoStore>,
    method: &str,
    bearer: Option<&str>,
    path: &str,
    status: u16,
    body: impl Fn(bool, usize) -> serde_json::Value,
) -> (f64, f64) {
    let route = Route::at(path);
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..ROUNDS {
        for k in [i % 2 == 0, i % 2 == 1] {
            let mut req = Req::new(method, path).json(&body(k, i));
            if let Some(token) = bearer {
                req = req.bearer(token);
            }
            let event = req.build();
            let start = Instant::now();
            let r = Resp::from_response(route.invoke(app, event).await);
            let took = start.elapsed();
            assert_eq!(r.status, status, "{path}: {}", r.body);
            match k {
                true => known.push(took),
                false => unknown.push(took),
            }
        }
    }
    (median(known), median(unknown))
}

fn row(what: &str, a: &str, b: &str, (x, y): (f64, f64), bound: f64) {
    println!(
        "| {what} | {a} {x:.1} ms | {b} {y:.1} ms | {:.2} | {bound:.2} |",
        x / y
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (app, access) = app().await;
        // Users whose addresses the known cases name, one per request.
        let mut known = Vec::new();
        for i in 0..ROUNDS {
            let email = address("known", i);
            let name = format!("known{i}");
            app.store
                .create_user_with_email(&name, "x", &email, true)
                .await
                .unwrap();
            known.push(email);
        }
        let unverified: Vec<String> = (0..ROUNDS).map(|i| address("unverified", i)).collect();
        for (i, email) in unverified.iter().enumerate() {
            let name = format!("unverified{i}");
            app.store
                .create_user_with_email(&name, "x", email, false)
                .await
                .unwrap();
        }
        let existing: Vec<String> = (0..ROUNDS).map(|i| address("existing", i)).collect();
        for (i, email) in existing.iter().enumerate() {
            let name = format!("existing{i}");
            app.store
                .create_user_with_email(&name, "x", email, true)
                .await
                .unwrap();
        }
        // Addresses of other accounts that no email has gone to yet (the
        // sign-up's "existing" ones have: their recipient limit would
        // answer instead).
        let taken: Vec<String> = (0..ROUNDS).map(|i| address("taken", i)).collect();
        for (i, email) in taken.iter().enumerate() {
            let name = format!("taken{i}");
            app.store
                .create_user_with_email(&name, "x", email, true)
                .await
                .unwrap();
        }
        // Warm the connections and the functions' code paths.
        pair(
            &app,
            "/api/v1/users/password/reset",
            200,
            |_, i| json!({"email": address("warm", i)}),
        )
        .await;

        println!("| request | case A | case B | A / B | bound |");
        println!("|---|---:|---:|---:|---:|");
        let reset = pair(&app, "/api/v1/users/password/reset", 200, |k, i| match k {
            true => json!({"email": known[i]}),
            false => json!({"email": address("nobody", i)}),
        })
        .await;
        row("password/reset", "known", "unknown", reset, 1.10);
        let resend = pair(
            &app,
            "/api/v1/users/registration/resend-email",
            200,
            |k, i| match k {
                true => json!({"email": unverified[i]}),
                false => json!({"email": address("nobody", i)}),
            },
        )
        .await;
        row(
            "registration/resend-email",
            "known",
            "unknown",
            resend,
            1.10,
        );
        let password = "a long and new passphrase";
        let signup = pair(&app, "/api/v1/users/registration", 201, |k, i| {
            let email = match k {
                true => existing[i].clone(),
                false => address("new", i),
            };
            let name = format!("signup{}{i}", if k { "e" } else { "n" });
            json!({"username": name, "email": email, "password1": password, "password2": password})
        })
        .await;
        row("registration", "existing", "new", signup, 1.25);
        let change = pair_as(
            &app,
            "PATCH",
            Some(&access),
            "/api/v1/users/user",
            200,
            |k, i| match k {
                true => json!({"email": taken[i]}),
                false => json!({"email": address("free", i)}),
            },
        )
        .await;
        row("user PATCH email", "taken", "free", change, 1.10);
    });
}
