//! Cold-start wiring for the Lambda binaries: logging, settings, the
//! DynamoDB client — each built once, before the first request — and the
//! Lambda runtime serving one endpoint ([`run`], all a `main.rs` calls).

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use lambda_http::{Error, service_fn};
use secrecy::{ExposeSecret, SecretString};

use crate::app::App;
use crate::settings::Settings;
use crate::store::DynamoStore;
use crate::web::{Authentication, Endpoint, View, serve};

/// A Lambda function serving `view` with `endpoint`: builds the state once
/// ([`init`]), then answers every invocation through the pipeline.
pub fn run<A, F>(view: &'static View<A>, endpoint: F) -> Result<(), Error>
where
    A: Authentication,
    F: for<'a> Endpoint<'a, DynamoStore, A::Caller> + Sync,
{
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let app = init().await?;
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
    let fmt = tracing_subscriber::fmt::layer()
        .with_target(false)
        .without_time();
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let registry = tracing_subscriber::registry().with(log_filter(level));
    let _ = if json {
        registry.with(fmt.json()).try_init()
    } else {
        registry.with(fmt).try_init()
    };
}

/// `level` for our code; at most INFO for the crates that see raw requests.
fn log_filter(level: LevelFilter) -> Targets {
    Targets::new().with_default(level).with_targets(
        [
            "aws_config",
            "aws_runtime",
            "aws_sdk_dynamodb",
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

/// Everything a function needs, from the environment. Fails (and so the
/// function refuses to start) without a usable signing key.
///
/// The keys are `SIGNING_KEYS` or `SIGNING_KEY` if set (local runs), else
/// the SSM Parameter Store SecureString named by `SIGNING_KEY_PARAMETER`
/// (deployed stacks; one key, or several separated by commas or newlines,
/// current first), fetched once here.
pub async fn init() -> Result<App<DynamoStore>, Error> {
    let started = std::time::Instant::now();
    return_big_allocations_to_the_os();
    init_logging();
    let config = crate::aws::sdk_config().await;
    let config_done = started.elapsed();
    let local =
        std::env::var_os("SIGNING_KEY").is_some() || std::env::var_os("SIGNING_KEYS").is_some();
    let parameter_key = match (local, std::env::var("SIGNING_KEY_PARAMETER")) {
        (false, Ok(name)) => Some(signing_key_from_ssm(&config, &name).await.inspect_err(
            |e| tracing::error!(error = %e, parameter = %name, "cannot read the signing key"),
        )?),
        _ => None,
    };
    let settings = Settings::from_lookup(|name| match (name, &parameter_key) {
        ("SIGNING_KEYS", Some(keys)) => Some(keys.expose_secret().to_owned()),
        _ => std::env::var(name).ok(),
    })
    .inspect_err(|e| tracing::error!(error = %e, "bad settings"))?;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let store = DynamoStore::new(client, settings.tables.clone());
    let app = App::new(settings, store);
    tracing::info!(
        sdk_config_us = config_done.as_micros() as u64,
        total_us = started.elapsed().as_micros() as u64,
        signing_key_from_ssm = parameter_key.is_some(),
        "init done"
    );
    Ok(app)
}

async fn signing_key_from_ssm(
    config: &aws_config::SdkConfig,
    name: &str,
) -> Result<SecretString, Error> {
    let out = aws_sdk_ssm::Client::new(config)
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| {
            format!(
                "GetParameter {name}: {}",
                aws_sdk_ssm::error::DisplayErrorContext(e)
            )
        })?;
    let value = out
        .parameter
        .and_then(|p| p.value)
        .ok_or_else(|| format!("parameter {name} has no value"))?;
    Ok(SecretString::from(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

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
    }
}
