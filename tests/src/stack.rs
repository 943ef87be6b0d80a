//! The local stack over HTTP, as `tests/serve.sh` runs it: the function
//! binaries served by `cargo lambda watch` on a DynamoDB-API server, and a
//! client for their API. The end-to-end test and the load run share it.

use std::time::Duration;

use auth::settings::Tables;
use serde_json::Value;

use crate::paths::{tool, workspace};
use crate::process::{Guarded, wait_for_port};

/// Variables a function must not inherit from the developer's shell or
/// the test process: credentials (they would take precedence over the
/// function's own IAM user) and signing keys (the key comes from SSM, as
/// deployed).
pub const CLEARED: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "SIGNING_KEY",
    "SIGNING_KEYS",
];

/// The SSM parameter holding the signing key: template.yaml's default
/// `SigningKeyParameterName`.
pub fn key_parameter() -> String {
    crate::template::template()
        .parameter_default("SigningKeyParameterName")
        .expect("SigningKeyParameterName has a default")
}

/// The SSM parameter holding the settings: template.yaml's
/// `SettingsParameter` in stack `auth`.
pub fn settings_parameter() -> String {
    crate::template::template().settings_parameter_name()
}

/// Puts `key` into the SSM of the moto server at `moto` as a SecureString
/// named [`key_parameter`], as the admin: the operator's first step before
/// `sam deploy`.
pub async fn put_signing_key(moto: &str, key: &str) {
    put_parameter(moto, &key_parameter(), key, true).await;
}

/// Puts the settings as the stack writes them (template.yaml's
/// `SettingsParameter`, every parameter at its default) with the tables
/// `tables` into the SSM of the moto server at `moto`, as the admin (in
/// AWS, CloudFormation does).
pub async fn put_settings(moto: &str, tables: &Tables) {
    let any = &crate::template::template().functions[0];
    put_parameter(
        moto,
        &settings_parameter(),
        &any.deployed_settings(tables),
        false,
    )
    .await;
}

/// The stack's mail queue (template.yaml's `MailQueue`: its visibility
/// timeout and retention; no dead-letter queue) made in the SQS of the
/// moto server at `moto` as the admin, under the name the deployed
/// settings' URL gives it (`auth-MailQueue`); its URL there.
pub async fn make_mail_queue(moto: &str, tables: &Tables) -> String {
    use aws_sdk_sqs::types::QueueAttributeName;
    let template = crate::template::template();
    let any = &template.functions[0];
    let settings = any.deployed_settings(tables);
    let deployed = (settings.lines())
        .find_map(|l| l.strip_prefix("MAIL_QUEUE_URL="))
        .expect("the settings name the mail queue");
    let name = deployed.rsplit('/').next().unwrap_or(deployed);
    let property = |p: &str| {
        let value = &template.root["Resources"]["MailQueue"]["Properties"][p];
        (value.as_u64().map(|v| v.to_string()))
            .unwrap_or_else(|| panic!("MailQueue's {p}: {value:?}"))
    };
    let config = crate::moto::moto_config(moto).await;
    aws_sdk_sqs::Client::new(&config)
        .create_queue()
        .queue_name(name)
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            property("VisibilityTimeout"),
        )
        .attributes(
            QueueAttributeName::MessageRetentionPeriod,
            property("MessageRetentionPeriod"),
        )
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "CreateQueue {name} on moto: {}",
                aws_sdk_sqs::error::DisplayErrorContext(e)
            )
        })
        .queue_url
        .expect("a queue URL")
}

/// As [`put_settings`], the `MAIL_QUEUE_URL` line naming the queue at
/// `queue_url` (made with [`make_mail_queue`]): in AWS the stack writes
/// its queue's URL there.
pub async fn put_settings_with_queue(moto: &str, tables: &Tables, queue_url: &str) {
    let any = &crate::template::template().functions[0];
    let settings: String = (any.deployed_settings(tables).lines())
        .map(|l| match l.starts_with("MAIL_QUEUE_URL=") {
            true => format!("MAIL_QUEUE_URL={queue_url}\n"),
            false => format!("{l}\n"),
        })
        .collect();
    put_parameter(moto, &settings_parameter(), &settings, false).await;
}

/// The signing key and the settings, as [`put_signing_key`] and
/// [`put_settings`], and the sender's domain verified in SES
/// ([`verify_sender`]): what a stack has before its functions start.
pub async fn put_parameters(moto: &str, key: &str, tables: &Tables) {
    put_signing_key(moto, key).await;
    put_settings(moto, tables).await;
    verify_sender(moto, None).await;
}

/// Verifies the domain of `sender` (default: the template's
/// `DefaultFromEmail`) in the SES of the moto server at `moto`, as the
/// admin: the operator's step before anything sends email (moto verifies
/// at once).
pub async fn verify_sender(moto: &str, sender: Option<&str>) {
    let default = crate::template::template().parameter_default("DefaultFromEmail");
    let sender = sender
        .map(str::to_owned)
        .or(default)
        .expect("DefaultFromEmail has a default");
    let domain = sender.rsplit_once('@').map_or(sender.as_str(), |(_, d)| d);
    let config = crate::moto::moto_config(moto).await;
    aws_sdk_sesv2::Client::new(&config)
        .create_email_identity()
        .email_identity(domain)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "CreateEmailIdentity on moto: {}",
                aws_sdk_sesv2::error::DisplayErrorContext(e)
            )
        });
}

async fn put_parameter(moto: &str, name: &str, value: &str, secure: bool) {
    use aws_sdk_ssm::types::ParameterType;
    let config = crate::moto::moto_config(moto).await;
    aws_sdk_ssm::Client::new(&config)
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(if secure {
            ParameterType::SecureString
        } else {
            ParameterType::String
        })
        .overwrite(true)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PutParameter {name} on moto: {}",
                aws_sdk_ssm::error::DisplayErrorContext(e)
            )
        });
}

/// The environment of the functions of a local stack, as deployed: the
/// DynamoDB-API server at `dynamodb`, SSM (with the key in
/// [`key_parameter`] and the settings in [`settings_parameter`]: put them
/// with [`put_parameters`]) and IAM on the moto server at `moto`.
/// Credentials are the caller's to add: [`credentials_env`] under `cargo
/// lambda watch`, [`own_keys`] for one function started directly. Start
/// the functions without [`CLEARED`].
pub fn function_env(moto: &str, dynamodb: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL_DYNAMODB", dynamodb.to_owned()),
        ("AWS_ENDPOINT_URL_SSM", moto.to_owned()),
        ("AWS_ENDPOINT_URL_SESV2", moto.to_owned()),
        ("AWS_REGION", "us-east-1".into()),
        ("SIGNING_KEY_PARAMETER", key_parameter()),
        ("SETTINGS_PARAMETER", settings_parameter()),
    ]
}

/// Writes the moto server's IAM users ([`crate::iam::identities`]) as an
/// AWS credentials file into `dir` (and an empty config file beside it);
/// the variables that make the SDK read them. Under `cargo lambda watch`
/// each function's package names its own profile (`AWS_PROFILE` in
/// `[package.metadata.lambda.env]`).
pub fn credentials_env(dir: &std::path::Path) -> Vec<(&'static str, String)> {
    std::fs::create_dir_all(dir).expect("a directory for the credentials");
    let credentials = dir.join("credentials");
    let config = dir.join("config");
    std::fs::write(&credentials, crate::iam::identities().credentials_file())
        .expect("the credentials file");
    std::fs::write(&config, "").expect("the config file");
    vec![
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            credentials.display().to_string(),
        ),
        ("AWS_CONFIG_FILE", config.display().to_string()),
    ]
}

/// The environment of every function of a local stack on the tables
/// `tables` of the test process's moto, as deployed: the key put into SSM
/// and read from there, each function its own IAM user (the credentials
/// written for `cargo lambda watch` under the temporary directory `name`).
pub async fn deployed_env(name: &str, tables: &Tables) -> Vec<(&'static str, String)> {
    let moto = crate::moto::moto_endpoint();
    put_parameters(&moto, crate::app::SIGNING_KEY, tables).await;
    let mut envs = function_env(&moto, &moto);
    envs.extend(credentials_env(&std::env::temp_dir().join(name)));
    envs
}

/// The access key of `function`'s own IAM user, for a function binary
/// started directly (not under `cargo lambda watch`).
pub fn own_keys(function: &str) -> Vec<(&'static str, String)> {
    let keys = crate::iam::identities().keys(Some(function));
    vec![
        ("AWS_ACCESS_KEY_ID", keys.id),
        ("AWS_SECRET_ACCESS_KEY", keys.secret),
    ]
}

/// `cargo lambda watch` serving every function on loopback `port` with
/// `envs` and without [`CLEARED`] (release builds if `release`), logging to a temporary file named
/// after `name`; returns once it listens. The first request to each
/// function may still wait for `cargo run` to build it.
pub fn lambda_watch(name: &str, port: u16, envs: &[(&str, String)], release: bool) -> Guarded {
    let log = std::env::temp_dir().join(format!("auth-{name}-watch-{port}.log"));
    let manifest = workspace().join("Cargo.toml");
    let port_s = port.to_string();
    let mut args = vec![
        "lambda",
        "watch",
        "-A",
        "127.0.0.1",
        "-P",
        &port_s,
        "--disable-cors",
        "--manifest-path",
        manifest.to_str().unwrap(),
    ];
    if release {
        args.push("--release");
    }
    let watch = Guarded::spawn_clearing(
        &tool("cargo-lambda"),
        &args,
        envs,
        CLEARED,
        log.to_str().unwrap(),
    );
    assert!(
        wait_for_port(port, Duration::from_secs(60)),
        "cargo lambda watch did not listen on {port}; log: {}",
        log.display()
    );
    watch
}

/// The API of a stack on loopback.
#[derive(Clone)]
pub struct Http {
    agent: ureq::Agent,
    /// `http://127.0.0.1:<port>/api/v1/users`: paths are relative to it.
    pub base: String,
}

/// An answer over HTTP.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// Its `Set-Cookie` values.
    pub cookies: Vec<String>,
}

impl Http {
    /// The API served on loopback `port`. No status is an error, and the
    /// timeout is long: a first request may wait for a build.
    pub fn on_port(port: u16) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(600)))
            .build()
            .into();
        Http {
            agent,
            base: format!("http://127.0.0.1:{port}/api/v1/users"),
        }
    }

    /// Sends `method` to `path` with `headers` and, if given, a JSON body.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Reply, ureq::Error> {
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let mut resp = match body {
            Some(b) => self.agent.run(
                builder
                    .header("content-type", "application/json")
                    .body(b.to_string())
                    .expect("request"),
            ),
            None => self.agent.run(builder.body(()).expect("request")),
        }?;
        let cookies = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .collect();
        Ok(Reply {
            status: resp.status().as_u16(),
            body: resp.body_mut().read_to_string().unwrap_or_default(),
            cookies,
        })
    }
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The value a `Set-Cookie` of this answer gives `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        crate::event::cookie_value(self.cookies.iter().map(String::as_str), name)
    }

    /// Asserts status and exact body.
    #[track_caller]
    pub fn assert(&self, status: u16, body: &str) {
        assert_eq!((self.status, self.body.as_str()), (status, body));
    }
}
