//! Cold-start wiring for the Lambda binaries: logging, settings, the
//! DynamoDB client — each built once, before the first request — and the
//! Lambda runtime serving one endpoint ([`run`], all a `main.rs` calls).

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use lambda_http::{Error, service_fn};
use secrecy::{ExposeSecret, SecretString};

use crate::app::App;
use crate::mail::Outbox;
use crate::settings::Settings;
use crate::store::DynamoStore;
use crate::web::{Authentication, Endpoint, View, serve};

/// A Lambda function serving `view` with `endpoint`: builds the state once
/// ([`init`]), then answers every invocation through the pipeline.
///
/// Inlined into each `main`, where `view` is the function's `static` view:
/// the compiler reads its `sends_mail` there and keeps one branch, so a
/// function that sends no mail links no SQS client.
#[inline(always)]
pub fn run<A, F>(view: &'static View<A>, endpoint: F) -> Result<(), Error>
where
    A: Authentication,
    F: for<'a> Endpoint<'a, DynamoStore, A::Caller> + Sync,
{
    match view.sends_mail {
        true => serve_with::<A, F, true>(view, endpoint),
        false => serve_with::<A, F, false>(view, endpoint),
    }
}

fn serve_with<A, F, const SENDS_MAIL: bool>(
    view: &'static View<A>,
    endpoint: F,
) -> Result<(), Error>
where
    A: Authentication,
    F: for<'a> Endpoint<'a, DynamoStore, A::Caller> + Sync,
{
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let app = init::<SENDS_MAIL>().await?;
            let (app, endpoint) = (&app, &endpoint);
            lambda_http::run(service_fn(move |event| async move {
                Ok::<_, Error>(serve(view, app, event, endpoint).await)
            }))
            .await
        })
}

/// JSON logs when Lambda asks for them (`AWS_LAMBDA_LOG_FORMAT=JSON`), text
/// otherwise; level from `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG` (default INFO).
/// The AWS SDK, the Lambda runtime and the HTTP stack are capped at INFO
/// whatever the level, because their debug output would show request
/// contents (session keys, tokens).
///
/// A `Targets` filter rather than `EnvFilter`: the same per-target levels
/// without the regex engine EnvFilter links in (≈ 170 KB per binary).
pub fn init_logging() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|l| l.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let _ = if json {
        json_logs(level, std::io::stdout).try_init()
    } else {
        let fmt = tracing_subscriber::fmt::layer()
            .with_target(false)
            .without_time();
        tracing_subscriber::registry()
            .with(log_filter(level))
            .with(fmt)
            .try_init()
    };
}

/// The JSON log lines of a function (`LogFormat: JSON`), written to
/// `writer`: each event's fields under `fields`, the request's span (the
/// function and the client address) under `span`. Tests read the audit
/// trail through this same subscriber.
pub fn json_logs<W>(level: LevelFilter, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let fmt = tracing_subscriber::fmt::layer()
        .json()
        .with_target(false)
        .without_time()
        .with_writer(writer);
    tracing_subscriber::registry()
        .with(log_filter(level))
        .with(fmt)
}

/// `level` for our code; at most INFO for the crates that see raw requests;
/// the audit trail always.
fn log_filter(level: LevelFilter) -> Targets {
    Targets::new()
        .with_default(level)
        .with_targets(
            [
                "aws_config",
                "aws_runtime",
                "aws_sdk_dynamodb",
                "aws_sdk_sqs",
                "aws_sdk_ssm",
                "aws_sdk_sts",
                "aws_smithy_http_client",
                "aws_smithy_runtime",
                "aws_types",
                "h2",
                "hyper",
                "hyper_util",
                "lambda_runtime",
                "lambda_runtime_api_client",
                "rustls",
            ]
            .map(|quiet| (quiet, level.min(LevelFilter::INFO))),
        )
        // Security events whatever the level: the metric filters count them.
        .with_target(crate::base::audit::TARGET, LevelFilter::INFO)
}

/// Each Argon2 check allocates 19 MiB. glibc's malloc raises its mmap
/// threshold after the first such block is freed and from then on keeps
/// them in per-thread arenas: a function that checked a few passwords sat
/// at 126 MB RSS, next to the 128 MB Lambda limit. A fixed threshold keeps
/// large blocks mmapped, so they go back to the OS when freed (measured in
/// tests/BENCHMARKS.md: peak RSS of `login` 126 MB → 29 MB).
fn return_big_allocations_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a global malloc tunable (glibc takes its own
    // lock for that); the parameter and value are valid constants.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

/// Everything a function needs, from the environment and SSM. Fails (and
/// so the function refuses to start) without a usable signing key or with
/// a bad setting.
///
/// The keys are `SIGNING_KEYS` or `SIGNING_KEY` if set (local runs), else
/// the SSM Parameter Store SecureString named by `SIGNING_KEY_PARAMETER`
/// (deployed stacks; one key, or several separated by commas or newlines,
/// current first). The settings are the environment's, then those of the
/// String parameter named by `SETTINGS_PARAMETER` (deployed stacks: the
/// template writes every setting there, `NAME=value` lines, because
/// Lambda's environment holds 4 KB at most). Both parameters are read in
/// one `GetParameters` call, once, here.
///
/// In AWS both the parameters and the first request cost network round
/// trips: SSM's `GetParameters`, and opening the DynamoDB connection (TCP
/// and TLS handshakes) before the first call. The connection is opened
/// here, while the parameters are read ([`open_connection`]), so the two
/// overlap and the first request finds it open (measured in
/// tests/BENCHMARKS.md §9).
///
/// Only a function whose view sends mail (`SENDS_MAIL`, from its view's
/// `sends_mail`) gets an SQS client for the mail queue; the others' binaries
/// leave the client out.
pub async fn init<const SENDS_MAIL: bool>() -> Result<App<DynamoStore>, Error> {
    let started = std::time::Instant::now();
    return_big_allocations_to_the_os();
    init_logging();
    let config = crate::base::aws::lambda_sdk_config().await;
    let config_done = started.elapsed();
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let ssm = aws_sdk_ssm::Client::new(&config);
    let app = start(dynamodb, &ssm, |name| std::env::var(name).ok()).await?;
    let app = match SENDS_MAIL {
        true => {
            let sqs = aws_sdk_sqs::Client::new(&config);
            let outbox = Outbox::from_settings(&app.settings.mail, Some(sqs));
            app.with_outbox(outbox)
        }
        false => app,
    };
    seed_crypto_rng();
    tracing::info!(
        sdk_config_us = config_done.as_micros() as u64,
        total_us = started.elapsed().as_micros() as u64,
        "init done"
    );
    Ok(app)
}

/// aws-lc seeds its generator on first use (CPU jitter entropy: about
/// 20 ms of CPU, tests/BENCHMARKS.md §17). Deployed, the TLS handshake to
/// SSM during init does it; here it is done during init whatever the key
/// source (`SIGNING_KEY` in the environment, a local endpoint over plain
/// http), so that no request pays it (the first ES256 signature would).
fn seed_crypto_rng() {
    use aws_lc_rs::rand::SecureRandom;
    let _ = aws_lc_rs::rand::SystemRandom::new().fill(&mut [0u8; 1]);
}

/// For a function that serves no endpoint (the `mailer`): logging, the
/// AWS SDK's configuration, and where its settings come from (the
/// environment, then the settings parameter; no signing key).
pub async fn init_worker() -> Result<
    (
        aws_config::SdkConfig,
        SettingsSource<impl Fn(&str) -> Option<String>>,
    ),
    Error,
> {
    init_logging();
    let config = crate::base::aws::lambda_sdk_config().await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let source = SettingsSource::read(&ssm, |name: &str| std::env::var(name).ok(), false).await?;
    Ok((config, source))
}

/// The state of a function from its clients and settings (`lookup`: the
/// environment in a Lambda): what [`init`] does once the SDK is
/// configured, and what the tests run for every function under its own
/// IAM policy.
pub async fn start(
    dynamodb: aws_sdk_dynamodb::Client,
    ssm: &aws_sdk_ssm::Client,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<App<DynamoStore>, Error> {
    let started = std::time::Instant::now();
    let warm_up = tokio::spawn(open_connection(dynamodb.clone()));
    let local = lookup("SIGNING_KEY").is_some() || lookup("SIGNING_KEYS").is_some();
    let source = SettingsSource::read(ssm, &lookup, !local).await?;
    let parameters_done = started.elapsed();
    let settings = Settings::from_lookup(|name| source.get(name))
        .inspect_err(|e| tracing::error!(error = %e, "bad settings"))?;
    // Bounded by the connection timeout; a failure only means the first
    // request opens the connection itself, as it would have anyway.
    let connection_open = warm_up.await.unwrap_or(false);
    let store = DynamoStore::new(dynamodb, settings.tables.clone());
    let app = App::new(settings, store);
    tracing::debug!(
        parameters_us = parameters_done.as_micros() as u64,
        signing_key_from_ssm = source.key.is_some(),
        settings_from_ssm = source.stored.len(),
        dynamodb_connection_open = connection_open,
        "state built"
    );
    Ok(app)
}

/// Where settings come from: the environment (or any lookup), then the
/// settings parameter's lines; and the signing keys from their parameter.
pub struct SettingsSource<L> {
    lookup: L,
    key: Option<SecretString>,
    stored: Vec<(String, String)>,
}

impl<L: Fn(&str) -> Option<String>> SettingsSource<L> {
    /// Reads the parameters `lookup` names (`SETTINGS_PARAMETER`, and
    /// `SIGNING_KEY_PARAMETER` if `with_key`) in one `GetParameters` call.
    pub async fn read(ssm: &aws_sdk_ssm::Client, lookup: L, with_key: bool) -> Result<Self, Error> {
        let key_name = lookup("SIGNING_KEY_PARAMETER").filter(|_| with_key);
        let settings_name = lookup("SETTINGS_PARAMETER").filter(|n| !n.is_empty());
        let mut fetched = read_parameters(ssm, [key_name.as_deref(), settings_name.as_deref()])
            .await
            .inspect_err(|e| tracing::error!(error = %e, "cannot read the SSM parameters"))?;
        let key = key_name.and_then(|_| fetched.remove(0));
        let stored = match settings_name.and_then(|_| fetched.pop().flatten()) {
            Some(text) => parse_settings_parameter(text.expose_secret())
                .inspect_err(|e| tracing::error!(error = %e, "bad settings parameter"))?,
            None => Vec::new(),
        };
        Ok(SettingsSource {
            lookup,
            key,
            stored,
        })
    }

    /// A setting's value: the environment's, else the parameter's line
    /// (`SIGNING_KEYS`: the key parameter's value, if it was read).
    pub fn get(&self, name: &str) -> Option<String> {
        match (name, &self.key) {
            ("SIGNING_KEYS", Some(keys)) => Some(keys.expose_secret().to_owned()),
            _ => (self.lookup)(name).or_else(|| {
                (self.stored.iter())
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            }),
        }
    }
}

/// The `NAME=value` lines of the settings parameter (blank lines and `#`
/// comments skipped; a value may be empty, and ends at the line's end).
/// A line without `=` is an error: a hand-edited parameter gone wrong
/// stops the function at its cold start rather than running it on
/// defaults. Names no setting reads are kept and never asked for.
pub fn parse_settings_parameter(text: &str) -> Result<Vec<(String, String)>, String> {
    text.lines()
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| match line.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok((name.trim().to_owned(), value.to_owned()))
            }
            _ => Err(format!(
                "settings parameter: a line is not NAME=value: {:?}",
                line.chars().take(40).collect::<String>()
            )),
        })
        .collect()
}

/// The values of the SSM parameters named (decrypted), in the order
/// asked, in one `GetParameters` call; `None` where none was named. A
/// named parameter that does not exist is an error.
async fn read_parameters<const N: usize>(
    ssm: &aws_sdk_ssm::Client,
    names: [Option<&str>; N],
) -> Result<Vec<Option<SecretString>>, Error> {
    let wanted: Vec<&str> = names.iter().flatten().copied().collect();
    if wanted.is_empty() {
        return Ok((0..N).map(|_| None).collect());
    }
    let out = ssm
        .get_parameters()
        .set_names(Some(wanted.iter().map(|n| n.to_string()).collect()))
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| {
            format!(
                "GetParameters {wanted:?}: {}",
                aws_sdk_ssm::error::DisplayErrorContext(e)
            )
        })?;
    if let Some(missing) = out.invalid_parameters.as_ref().filter(|m| !m.is_empty()) {
        return Err(format!("no SSM parameter {missing:?}").into());
    }
    let found = out.parameters.unwrap_or_default();
    names
        .iter()
        .map(|name| match name {
            None => Ok(None),
            Some(name) => found
                .iter()
                .find(|p| p.name.as_deref() == Some(*name))
                .and_then(|p| p.value.clone())
                .map(|v| Some(SecretString::from(v)))
                .ok_or_else(|| format!("parameter {name} has no value").into()),
        })
        .collect()
}

/// Opens `client`'s connection to its DynamoDB endpoint, so that the first
/// request does not wait for the TCP and TLS handshakes. The request that
/// opens it needs no permission and touches no table: a `GET /`, which
/// DynamoDB answers with its health check (`healthy: dynamodb.<region>…`).
/// The answer is not a DynamoDB response and is ignored; the connection
/// stays in the client's pool. One attempt, no retries. Whether an answer
/// came.
async fn open_connection(client: aws_sdk_dynamodb::Client) -> bool {
    use aws_sdk_dynamodb::config::http::HttpRequest;
    use aws_sdk_dynamodb::config::retry::RetryConfig;
    use aws_sdk_dynamodb::error::SdkError;
    let sent = client
        .get_item()
        .table_name("connection")
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S("warm-up".into()),
        )
        .customize()
        .config_override(aws_sdk_dynamodb::Config::builder().retry_config(RetryConfig::disabled()))
        .mutate_request(|request| {
            let _ = request.set_method("GET");
            for header in ["x-amz-target", "content-type", "content-length"] {
                request.headers_mut().remove(header);
            }
            *request.body_mut() = HttpRequest::empty().into_body();
        })
        .send()
        .await;
    match sent {
        Ok(_) | Err(SdkError::ServiceError(_) | SdkError::ResponseError(_)) => true,
        Err(e) => {
            tracing::debug!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(e), "DynamoDB connection not opened at init");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    /// A DynamoDB client for a local `endpoint`: no retries, short timeouts.
    fn client_for(endpoint: &str) -> aws_sdk_dynamodb::Client {
        use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .endpoint_url(endpoint)
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
            .timeout_config(
                aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
                    .operation_timeout(std::time::Duration::from_secs(5))
                    .build(),
            )
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }

    /// One HTTP/1.1 request's head (its body, by Content-Length, is read and dropped).
    async fn read_request(socket: &mut tokio::net::TcpStream) -> String {
        use tokio::io::AsyncReadExt;
        let mut buf = Vec::new();
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            let n = socket.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the connection closed");
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        let mut body = buf[end..].to_vec();
        while body.len() < length {
            let mut chunk = vec![0u8; length - body.len()];
            let n = socket.read(&mut chunk).await.unwrap();
            body.extend_from_slice(&chunk[..n]);
        }
        head
    }

    #[tokio::test]
    async fn the_connection_opened_at_init_serves_the_first_request() {
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        // One connection only: a second one would never be answered.
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut heads = Vec::new();
            for (content_type, body) in [
                ("text/plain", "healthy: dynamodb.us-east-1.amazonaws.com"),
                ("application/x-amz-json-1.0", "{}"),
            ] {
                heads.push(read_request(&mut socket).await);
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                socket.write_all(answer.as_bytes()).await.unwrap();
            }
            heads
        });
        let client = client_for(&endpoint);
        assert!(open_connection(client.clone()).await);
        client
            .get_item()
            .table_name("users")
            .key(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S("id#1".into()),
            )
            .send()
            .await
            .expect("the first request, on the open connection");
        let heads = server.await.unwrap();
        assert!(heads[0].starts_with("GET / HTTP/1.1"), "{}", heads[0]);
        assert!(
            !heads[0].to_ascii_lowercase().contains("x-amz-target"),
            "{}",
            heads[0]
        );
        assert!(heads[1].starts_with("POST / HTTP/1.1"), "{}", heads[1]);
        assert!(
            heads[1].contains("DynamoDB_20120810.GetItem"),
            "{}",
            heads[1]
        );
    }

    #[tokio::test]
    async fn an_unreachable_endpoint_does_not_stop_the_start() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let started = std::time::Instant::now();
        assert!(!open_connection(client_for(&endpoint)).await);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn the_settings_parameter_is_name_value_lines() {
        let text = "# made by template.yaml\nUSERS_TABLE=auth-UsersTable-X\n\nISSUER=\nCORS_ALLOWED_ORIGINS=https://a.example,https://b.example\nODD=a=b\n";
        assert_eq!(
            parse_settings_parameter(text).unwrap(),
            [
                ("USERS_TABLE", "auth-UsersTable-X"),
                ("ISSUER", ""),
                (
                    "CORS_ALLOWED_ORIGINS",
                    "https://a.example,https://b.example"
                ),
                ("ODD", "a=b"),
            ]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
        );
        let err = parse_settings_parameter("ISSUER=x\nnot a setting\n").unwrap_err();
        assert!(err.contains("not NAME=value"), "{err}");
        assert!(parse_settings_parameter("=x").is_err());
    }

    #[test]
    fn sdk_and_runtime_debug_output_never_reaches_the_log() {
        let debug = log_filter(LevelFilter::TRACE);
        assert!(debug.would_enable("auth::store", &Level::TRACE));
        for quiet in [
            "aws_smithy_runtime::client::orchestrator",
            "aws_sdk_dynamodb",
            "hyper_util::client",
            "lambda_runtime::layers",
            "rustls::client",
        ] {
            assert!(!debug.would_enable(quiet, &Level::DEBUG), "{quiet}");
            assert!(debug.would_enable(quiet, &Level::INFO), "{quiet}");
        }
        // A quieter level applies to them too.
        let warn = log_filter(LevelFilter::WARN);
        assert!(!warn.would_enable("aws_smithy_runtime", &Level::INFO));
        assert!(!warn.would_enable("auth", &Level::INFO));
        assert!(warn.would_enable("auth", &Level::WARN));
        // The audit trail whatever the level.
        let error = log_filter(LevelFilter::ERROR);
        assert!(error.would_enable(crate::base::audit::TARGET, &Level::INFO));
    }
}
