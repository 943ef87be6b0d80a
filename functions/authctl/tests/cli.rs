//! authctl end to end: the real binary against the DynamoDB-API server.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use integration_tests::auth::base::time::now;
use integration_tests::auth::policy::throttle::counters;
use integration_tests::auth::store::{
    DynamoStore, Session, SessionStore, ThrottleStore, UserStore,
};
use integration_tests::{fresh_tables, moto_endpoint, workspace};

struct Ctl {
    tables: integration_tests::auth::settings::Tables,
    endpoint: String,
}

impl Ctl {
    fn new() -> Self {
        Ctl {
            tables: fresh_tables(),
            endpoint: moto_endpoint(),
        }
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        // The operator's command line: the admin's credentials (moto
        // enforces IAM).
        let admin = integration_tests::iam::admin_keys();
        let mut child = Command::new(env!("CARGO_BIN_EXE_authctl"))
            .args(args)
            .env("AWS_ENDPOINT_URL_DYNAMODB", &self.endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", admin.id)
            .env("AWS_SECRET_ACCESS_KEY", admin.secret)
            .env("USERS_TABLE", &self.tables.users)
            .env("SESSIONS_TABLE", &self.tables.sessions)
            .env("BLACKLIST_TABLE", &self.tables.blacklist)
            .env("THROTTLE_TABLE", &self.tables.throttle)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("authctl runs");
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
        drop(input);
        child.wait_with_output().unwrap()
    }

    #[track_caller]
    fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    #[track_caller]
    fn fails(&self, args: &[&str], stdin: Option<&str>, code: i32) -> String {
        let out = self.run(args, stdin);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    async fn store(&self) -> DynamoStore {
        DynamoStore::new(
            integration_tests::client_for(&self.endpoint).await,
            self.tables.clone(),
        )
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn users_from_creation_to_deletion() {
    let ctl = Ctl::new();
    assert!(ctl.ok(&["create-tables"], None).starts_with("tables ready"));
    ctl.ok(&["create-tables"], None); // idempotent
    assert_eq!(
        ctl.ok(
            &["create-user", "alice", "--password-stdin"],
            Some("pw one\n")
        ),
        "1\n"
    );
    assert_eq!(
        ctl.ok(&["create-user", "bob", "--password-stdin"], Some("pw two")),
        "2\n"
    );
    ctl.fails(&["create-user", "bob", "--password-stdin"], Some("x"), 4);
    ctl.fails(
        &["create-user", "no spaces", "--password-stdin"],
        Some("x"),
        1,
    );
    ctl.fails(&["create-user", "carol", "--password-stdin"], Some(""), 1);
    ctl.fails(&["create-user", "carol"], None, 2);

    let list = ctl.ok(&["list"], None);
    assert!(
        list.contains("alice") && list.contains("bob") && list.contains("argon2id"),
        "{list}"
    );
    let show = ctl.ok(&["show", "alice"], None);
    assert!(
        show.contains(
            "id: 1\nusername: alice\nemail: (none)\nactive: true\npassword: argon2id\ngeneration: 0"
        ),
        "{show}"
    );
    // An address, unique whatever its case.
    let args = [
        "create-user",
        "dan",
        "--password-stdin",
        "--email",
        "Dan@Example.com",
    ];
    ctl.ok(&[&args[..], &["--email-verified"]].concat(), Some("x"));
    assert!(
        ctl.ok(&["show", "dan"], None)
            .contains("email: Dan@Example.com (verified)")
    );
    let taken = [
        "create-user",
        "dora",
        "--password-stdin",
        "--email",
        "dan@example.COM",
    ];
    let out = ctl.fails(&taken, Some("x"), 4);
    assert!(out.contains("another user has the address"), "{out}");
    ctl.fails(&["show", "dora"], None, 3);
    let bad = [
        "create-user",
        "dora",
        "--password-stdin",
        "--email",
        "not an address",
    ];
    ctl.fails(&bad, Some("x"), 1);
    ctl.fails(
        &[
            "create-user",
            "dora",
            "--password-stdin",
            "--email-verified",
        ],
        Some("x"),
        2,
    );
    ctl.ok(&["delete", "dan"], None);
    ctl.fails(&["show", "nobody"], None, 3);

    ctl.ok(&["deactivate", "bob"], None);
    assert!(ctl.ok(&["show", "bob"], None).contains("active: false"));
    ctl.ok(&["activate", "bob"], None);
    assert!(ctl.ok(&["show", "bob"], None).contains("active: true"));

    ctl.ok(
        &["set-password", "alice", "--password-stdin"],
        Some("pw three\n"),
    );
    assert!(ctl.ok(&["show", "alice"], None).contains("generation: 1"));
    ctl.ok(&["revoke", "alice"], None);
    assert!(ctl.ok(&["show", "alice"], None).contains("generation: 2"));

    // delete also ends the user's sessions
    let store = ctl.store().await;
    for key in [
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2",
    ] {
        let s = Session {
            session_key: key.into(),
            user_id: 2,
            auth_hash: "h".into(),
            expires_at: now() + 100,
            amr: vec![],
        };
        store.create_session(&s, None).await.unwrap();
    }
    assert!(
        ctl.ok(&["delete", "bob"], None)
            .contains("2 sessions ended")
    );
    assert!(store.user_by_username("bob").await.unwrap().is_none());
    assert!(
        store
            .session("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1")
            .await
            .unwrap()
            .is_none()
    );
    ctl.fails(&["delete", "bob"], None, 3);
    ctl.fails(&["revoke", "bob"], None, 3);
    // the name is free again; ids are never reused (dan had 3, and dora's
    // creation, refused for dan's address, used up 4: the address is not
    // read first, so that a taken one costs a sign-up what a free one does)
    assert_eq!(
        ctl.ok(&["create-user", "bob", "--password-stdin"], Some("pw")),
        "5\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unthrottle_clears_a_usernames_or_an_addresss_counters() {
    let ctl = Ctl::new();
    ctl.ok(&["create-tables"], None);
    let store = ctl.store().await;
    let window = integration_tests::auth::settings::Seconds::new(900);
    let alice_at_a = counters(window, "alice", "10.0.0.1");
    let alice_at_b = counters(window, "alice", "10.0.0.2");
    let bob_at_a = counters(window, "bob", "10.0.0.1");
    let hit = |c: &[_; 3]| {
        let (store, c) = (store.clone(), c.clone());
        async move { store.hit(&c, now() + 900).await.unwrap() }
    };
    for c in [&alice_at_a, &alice_at_b, &bob_at_a] {
        hit(c).await;
    }
    // (alice, A), alice, A
    assert_eq!(hit(&alice_at_a).await, [2, 3, 3]);
    ctl.ok(&["unthrottle", "alice"], None);
    assert_eq!(
        hit(&alice_at_a).await,
        [1, 1, 4],
        "alice's counters start afresh"
    );
    ctl.ok(&["unthrottle", "--address", "10.0.0.1"], None);
    // (bob, A), bob, A
    assert_eq!(
        hit(&bob_at_a).await,
        [1, 2, 1],
        "the address's counters start afresh"
    );
    ctl.fails(&["unthrottle"], None, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn import_django_is_idempotent_and_reports_bad_records() {
    let ctl = Ctl::new();
    ctl.ok(&["create-tables"], None);
    let fixture = workspace().join("tests/fixtures/django-dumpdata.json");
    let file = fixture.to_str().unwrap();

    let big = ["--function-memory", "256"];
    let dry = ctl.ok(&["import-django", file, "--dry-run", big[0], big[1]], None);
    assert!(
        dry.contains("6 would be created, 0 unchanged, 0 would be updated, 0 skipped"),
        "{dry}"
    );
    assert!(
        ctl.ok(&["list"], None).lines().count() == 1,
        "a dry run writes nothing"
    );

    // At 128 MB, Django's Argon2 hash with m = 100 MiB could not be checked.
    let out = ctl.run(&["import-django", file], None);
    assert_eq!(out.status.code(), Some(6));
    let first = String::from_utf8(out.stdout).unwrap();
    assert!(
        first.contains("5 created, 0 unchanged, 0 updated, 1 skipped"),
        "{first}"
    );
    assert!(
        first.contains("skipped \"argon\" (id 2): its hash needs 100 MiB to verify"),
        "{first}"
    );
    assert!(first.contains("1 user was refused"), "{first}");
    // Every failed check now costs the imported hashes' work.
    for mark in [
        "pbkdf2_sha256: 1500000 iterations",
        "bcrypt_sha256: cost 12",
        "argon2: 196608",
    ] {
        assert!(first.contains(mark), "{mark}: {first}");
    }
    let first = ctl.ok(&["import-django", file, big[0], big[1]], None);
    assert!(
        first.contains("1 created, 5 unchanged, 0 updated, 0 skipped"),
        "{first}"
    );
    assert!(
        ctl.ok(&["hash-costs"], None).contains("argon2: 204800"),
        "raised by the bigger hash"
    );
    let second = ctl.ok(&["import-django", file, big[0], big[1]], None);
    assert!(
        second.contains("0 created, 6 unchanged, 0 updated, 0 skipped"),
        "{second}"
    );
    assert!(second.contains("nothing to do"), "{second}");
    let list = ctl.ok(&["list"], None);
    for (id, name, format) in [
        (1, "pbkdf", "pbkdf2_sha256"),
        (2, "argon", "argon2 (django)"),
        (3, "bcrypt", "bcrypt_sha256"),
        (5, "nopassword", "unusable"),
    ] {
        assert!(
            list.lines()
                .any(|l| l.contains(&format!("{id}  {name}")) && l.contains(format)),
            "{list}"
        );
    }
    assert_eq!(
        ctl.ok(&["create-user", "next", "--password-stdin"], Some("pw")),
        "7\n"
    );
    // Once the imported users have moved to Argon2id (the inactive one's
    // hash is never checked), the marks come down.
    for name in ["pbkdf", "argon", "bcrypt", "argon2i"] {
        ctl.ok(
            &["set-password", name, "--password-stdin"],
            Some("a new password 1"),
        );
    }
    let marks = ctl.ok(&["hash-costs", "--recompute"], None);
    assert!(marks.contains("one Argon2id check of ours"), "{marks}");
    assert!(
        !marks.contains("pbkdf2") && !marks.contains("bcrypt"),
        "{marks}"
    );

    // bad records and conflicts are reported, the rest still imported
    let bad = std::env::temp_dir().join(format!("dump-{}.json", std::process::id()));
    std::fs::write(
        &bad,
        r#"[
          {"model": "users.user", "pk": 8, "fields": {"password": "!x", "username": "fine"}},
          {"model": "users.user", "pk": 9, "fields": {"password": "md5$a$b", "username": "oldhash"}},
          {"model": "users.user", "pk": 10, "fields": {"password": "!x", "username": ""}},
          {"model": "users.user", "pk": 1, "fields": {"password": "!changed", "username": "pbkdf"}},
          {"model": "users.user", "pk": 11, "fields": {"password": "!x", "username": "argon"}}
        ]"#,
    )
    .unwrap();
    let out = ctl.run(&["import-django", bad.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(6));
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report.contains("1 created, 0 unchanged, 0 updated, 4 skipped"),
        "{report}"
    );
    for reason in [
        "unknown password hash format",
        "no username",
        "differs from the stored user (use --overwrite)",
        "username taken by user id 2",
    ] {
        assert!(report.contains(reason), "{reason}: {report}");
    }
    ctl.fails(&["import-django", "/nonexistent.json"], None, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn mfa_status_and_disable_for_support() {
    use integration_tests::auth::base::time::now;
    use integration_tests::auth::store::{Charged, MfaStore};
    let ctl = Ctl::new();
    ctl.ok(&["create-tables"], None);
    ctl.ok(&["create-user", "alice", "--password-stdin"], Some("pw"));
    assert_eq!(
        ctl.ok(&["mfa", "status", "alice"], None),
        "alice: TOTP off; 0 recovery codes left\n"
    );
    let store = ctl.store().await;
    assert!(store.begin_totp(1, "sealed-secret").await.unwrap());
    let status = ctl.ok(&["mfa", "status", "alice"], None);
    assert_eq!(
        status,
        "alice: TOTP off (enrolment pending); 0 recovery codes left\n"
    );
    let hashes = ["h1".to_owned(), "h2".to_owned()];
    assert!(
        store
            .confirm_totp(1, "sealed-secret", 5, &hashes)
            .await
            .unwrap()
    );
    let status = ctl.ok(&["mfa", "status", "alice"], None);
    assert_eq!(
        status,
        "alice: TOTP on; 2 recovery codes left; 0 consecutive wrong codes\n"
    );
    assert!(!status.contains("sealed-secret"));
    // Ten wrong codes lock the second step; support opens it again.
    let mut alice = store.user_by_id(1).await.unwrap().unwrap();
    for failures in 0..10 {
        let until = (failures == 9).then(|| now() + 60);
        let charged = store.charge_second_factor(&alice, until, None).await;
        assert_eq!(charged.unwrap(), Charged::Done);
        alice = store.user_by_id(1).await.unwrap().unwrap();
    }
    let status = ctl.ok(&["mfa", "status", "alice"], None);
    assert!(
        status.starts_with(
            "alice: TOTP on; 2 recovery codes left; 10 consecutive wrong codes; second step locked for "
        ),
        "{status}"
    );
    let out = ctl.ok(&["mfa", "unlock", "alice"], None);
    assert_eq!(
        out,
        "alice: second step open (10 consecutive wrong codes forgotten)\n"
    );
    let status = ctl.ok(&["mfa", "status", "alice"], None);
    assert!(
        status.ends_with("; 0 consecutive wrong codes\n"),
        "{status}"
    );
    ctl.ok(&["mfa", "disable", "alice"], None);
    let alice = store.user_by_id(1).await.unwrap().unwrap();
    assert!(!alice.mfa.is_on());
    assert_eq!(alice.mfa, Default::default());
    assert_eq!(
        alice.generation, 2,
        "turning TOTP on and off each revoked every session and token"
    );
    ctl.fails(&["mfa", "status", "nobody"], None, 3);
    ctl.fails(&["mfa", "disable", "nobody"], None, 3);
    ctl.fails(&["mfa", "unlock", "nobody"], None, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn passkeys_list_and_remove_for_support() {
    use integration_tests::auth::store::{Added, PasskeyStore, StoredPasskey};
    let ctl = Ctl::new();
    ctl.ok(&["create-tables"], None);
    ctl.ok(&["create-user", "alice", "--password-stdin"], Some("pw"));
    assert_eq!(
        ctl.ok(&["passkeys", "list", "alice"], None),
        "alice: no passkeys\n"
    );
    let store = ctl.store().await;
    let alice = store.user_by_id(1).await.unwrap().unwrap();
    for (id, name, created) in [
        ("AAAA", "Laptop", 1_795_694_400),
        ("BBBB", "Phone", 1_795_694_460),
    ] {
        let passkey = StoredPasskey {
            id: id.into(),
            name: name.into(),
            created,
            last_used: None,
            backed_up: id == "BBBB",
            credential: "{\"secret\":\"never shown\"}".into(),
        };
        assert_eq!(
            store.add_passkey(&alice, &passkey).await.unwrap(),
            Added::Done
        );
    }
    let list = ctl.ok(&["passkeys", "list", "alice"], None);
    assert_eq!(
        list,
        "AAAA\tadded 2026-11-26T12:00:00Z\tlast used never\tdevice-bound\tLaptop\n\
         BBBB\tadded 2026-11-26T12:01:00Z\tlast used never\tbacked up\tPhone\n"
    );
    ctl.fails(&["passkeys", "remove", "alice", "CCCC"], None, 1);
    assert_eq!(
        ctl.ok(&["passkeys", "remove", "alice", "AAAA"], None),
        "alice: 1 passkey(s) removed\n"
    );
    assert_eq!(store.passkey_owner("AAAA").await.unwrap(), None);
    assert_eq!(store.passkey_owner("BBBB").await.unwrap(), Some(1));
    assert_eq!(
        ctl.ok(&["passkeys", "remove", "alice"], None),
        "alice: 1 passkey(s) removed\n"
    );
    assert_eq!(store.passkey_owner("BBBB").await.unwrap(), None);
    assert_eq!(
        ctl.ok(&["passkeys", "list", "alice"], None),
        "alice: no passkeys\n"
    );
    ctl.fails(&["passkeys", "list", "nobody"], None, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn oauth_clients_from_registration_to_removal() {
    use integration_tests::auth::credentials::oauth::secret_hash;
    use integration_tests::auth::model::client::Grant;
    use integration_tests::auth::secrecy::SecretString;
    use integration_tests::auth::store::ClientStore;
    let ctl = Ctl::new();
    ctl.ok(&["create-tables"], None);
    let field = |out: &str, name: &str| -> String {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {out:?}"))
            .to_owned()
    };
    let out = ctl.ok(
        &[
            "clients",
            "add",
            "Grafana",
            "--redirect-uri",
            "https://grafana.example.com/login/generic_oauth",
            "--scope",
            "openid profile",
        ],
        None,
    );
    let (id, secret) = (field(&out, "client_id"), field(&out, "client_secret"));
    let store = ctl.store().await;
    let stored = store.oauth_client(&id).await.unwrap().unwrap();
    // Stored hashed, never as shown.
    let secret = SecretString::from(secret);
    assert_eq!(stored.secret_hash, Some(secret_hash(&secret)));
    assert_eq!(
        (
            stored.grants.as_slice(),
            stored.scopes.join(" "),
            stored.first_party
        ),
        (
            [Grant::AuthorizationCode, Grant::RefreshToken].as_slice(),
            "openid profile".to_owned(),
            false
        )
    );
    let out = ctl.ok(
        &[
            "clients",
            "add",
            "Mobile app",
            "--public",
            "--first-party",
            "--redirect-uri",
            "com.example.app:/cb",
        ],
        None,
    );
    let public = field(&out, "client_id");
    assert!(!out.contains("client_secret"));
    let list = ctl.ok(&["clients", "list"], None);
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(
        list.lines()
            .any(|l| l.starts_with(&format!("{public}\tpublic\tfirst-party\t")))
    );
    assert!(list.contains("\tconfidential\tthird-party\tauthorization_code,refresh_token\topenid profile\thttps://grafana.example.com/login/generic_oauth\t"));
    // A new secret replaces the old one at once.
    let rotated = SecretString::from(field(
        &ctl.ok(&["clients", "rotate-secret", &id], None),
        "client_secret",
    ));
    let stored = store.oauth_client(&id).await.unwrap().unwrap();
    assert_eq!(stored.secret_hash, Some(secret_hash(&rotated)));
    ctl.fails(&["clients", "rotate-secret", &public], None, 1);
    // Refused registrations.
    for args in [
        &[
            "clients",
            "add",
            "x",
            "--redirect-uri",
            "http://evil.example.com/cb",
        ][..],
        &["clients", "add", "x"][..],
        &[
            "clients",
            "add",
            "x",
            "--public",
            "--grant",
            "client_credentials",
        ][..],
        &["clients", "add", "x", "--grant", "password"][..],
        &[
            "clients",
            "add",
            "x",
            "--redirect-uri",
            "https://a.example.com/#f",
        ][..],
    ] {
        ctl.fails(args, None, 1);
    }
    assert_eq!(
        ctl.ok(&["clients", "remove", &id], None),
        format!("{id}: removed\n")
    );
    assert!(store.oauth_client(&id).await.unwrap().is_none());
    ctl.fails(&["clients", "remove", &id], None, 1);
}

#[test]
fn every_command_has_help() {
    let ctl = Ctl::new();
    for cmd in [
        "create-tables",
        "create-user",
        "set-password",
        "list",
        "show",
        "activate",
        "deactivate",
        "delete",
        "revoke",
        "unthrottle",
        "import-django",
        "hash-costs",
        "fill-events",
        "mfa",
        "passkeys",
        "clients",
    ] {
        let out = ctl.ok(&[cmd, "--help"], None);
        assert!(out.contains("Usage: authctl"), "{cmd}: {out}");
    }
    assert!(ctl.ok(&["--help"], None).contains("Exit codes"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_users_id_is_never_reused_and_its_tokens_stay_dead() {
    let ctl = Ctl::new();
    ctl.ok(&["create-tables"], None);
    let fixture = workspace().join("tests/fixtures/django-dumpdata.json");
    let file = fixture.to_str().unwrap();
    ctl.ok(&["import-django", file, "--function-memory", "256"], None);
    let store = ctl.store().await;
    let pbkdf = store.user_by_username("pbkdf").await.unwrap().unwrap();
    let app = integration_tests::auth::App::new(integration_tests::settings(&[]), store.clone());
    let pair = app.tokens.pair_for(&pbkdf, now(), "127.0.0.1");
    let info = |token: &str| {
        let req = integration_tests::Req::get("/api/v1/users/login/jwt/info").bearer(token);
        let app = &app;
        async move {
            let route = integration_tests::Route::of("info");
            route.invoke(app, req.build()).await.status().as_u16()
        }
    };
    assert_eq!(info(&pair.access).await, 200);

    ctl.ok(&["delete", "pbkdf"], None);
    assert_eq!(info(&pair.access).await, 401, "deleted: user not found");
    // a new user never gets the deleted id
    let id: u64 = ctl
        .ok(
            &["create-user", "newbie", "--password-stdin"],
            Some("a long passphrase"),
        )
        .trim()
        .parse()
        .unwrap();
    assert!(id > 6, "{id}");
    let listed = ctl.ok(&["list"], None);
    assert!(
        !listed
            .lines()
            .any(|l| l.split_whitespace().nth(1) == Some("pbkdf")),
        "{listed}"
    );
    // importing it again: the same id, past every generation issued before
    ctl.ok(&["import-django", file, "--function-memory", "256"], None);
    let again = store.user_by_username("pbkdf").await.unwrap().unwrap();
    assert_eq!(again.id, pbkdf.id);
    assert!(again.generation > pbkdf.generation);
    assert_eq!(
        info(&pair.access).await,
        401,
        "the deleted user's token stays dead"
    );
    let fresh = app.tokens.pair_for(&again, now(), "127.0.0.1");
    assert_eq!(info(&fresh.access).await, 200);
}
