//! Have I Been Pwned's Pwned Passwords, asked by k-anonymity
//! (`PASSWORD_BREACH_CHECK`): only the first five hex digits of the
//! password's SHA-1 leave, with `Add-Padding: true` so that the answer's
//! size says nothing either; the suffix is looked for in the answer here.
//! The request goes through the AWS SDK's own HTTPS connector (hyper and
//! rustls with aws-lc), so the check links no other HTTP stack.

use std::sync::OnceLock;
use std::time::Duration;

use aws_smithy_http_client::{Connector, tls};
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use crate::settings::{AccountSettings, FailMode};

/// Why the range API gave no answer.
#[derive(Debug, thiserror::Error)]
#[error("pwned passwords: {0}")]
pub struct BreachError(String);

/// The check, as the settings configure it.
#[derive(Debug)]
pub struct BreachCheck {
    /// The range API, the prefix appended.
    base: String,
    timeout: Duration,
    pub fail: FailMode,
    /// Made at the first check (its root certificates are read then).
    connector: OnceLock<Connector>,
}

impl BreachCheck {
    /// The check, if `PASSWORD_BREACH_CHECK` is on.
    pub fn from_settings(accounts: &AccountSettings) -> Option<Self> {
        accounts.password_breach_check.then(|| BreachCheck {
            base: accounts.password_breach_check_url.clone(),
            timeout: Duration::from_millis(accounts.password_breach_check_timeout_ms),
            fail: accounts.password_breach_check_fail,
            connector: OnceLock::new(),
        })
    }

    fn connector(&self) -> &Connector {
        self.connector.get_or_init(|| {
            Connector::builder()
                .tls_provider(tls::Provider::Rustls(
                    tls::rustls_provider::CryptoMode::AwsLc,
                ))
                .build()
        })
    }

    /// How many times the range API has seen `password` (0: never), within
    /// the timeout.
    pub async fn times_seen(&self, password: &SecretString) -> Result<u64, BreachError> {
        let digest = aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            password.expose_secret().as_bytes(),
        );
        let hash = SecretString::from(hex::encode_upper(digest.as_ref()));
        let (prefix, suffix) = hash.expose_secret().split_at(5);
        let request = lambda_http::http::Request::get(format!("{}{prefix}", self.base))
            .header("add-padding", "true")
            .header("user-agent", "auth-service-pwned-passwords-check")
            .body(SdkBody::empty())
            .map_err(|e| BreachError(e.to_string()))?;
        let request = HttpRequest::try_from(request).map_err(|e| BreachError(e.to_string()))?;
        let body = tokio::time::timeout(self.timeout, async {
            let response = self.connector().call(request).await;
            let response = response.map_err(|e| BreachError(format!("{e:?}")))?;
            if !response.status().is_success() {
                return Err(BreachError(format!("status {}", response.status())));
            }
            let bytes = ByteStream::new(response.into_body()).collect().await;
            bytes
                .map(|b| b.into_bytes())
                .map_err(|e| BreachError(e.to_string()))
        })
        .await
        .map_err(|_| BreachError(format!("no answer in {} ms", self.timeout.as_millis())))??;
        Ok(count_of(&String::from_utf8_lossy(&body), suffix))
    }
}

/// The count the range answer gives `suffix` (35 hex digits), 0 if none:
/// each line `SUFFIX:COUNT`; padding lines count 0. Every line is compared
/// in full, in constant time.
fn count_of(answer: &str, suffix: &str) -> u64 {
    let mut count = 0;
    for line in answer.lines() {
        let Some((candidate, n)) = line.trim().split_once(':') else {
            continue;
        };
        let same: bool = candidate
            .to_ascii_uppercase()
            .as_bytes()
            .ct_eq(suffix.as_bytes())
            .into();
        if same {
            count = n.trim().parse().unwrap_or(0);
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::count_of;

    #[test]
    fn the_suffix_is_found_whatever_its_case_and_padding_counts_nothing() {
        let answer = "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n\
                      1E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493\r\n\
                      ffffffffffffffffffffffffffffffffff0:0\r\n";
        assert_eq!(
            count_of(answer, "1E4C9B93F3F0682250B6CF8331B7EE68FD8"),
            3861493
        );
        assert_eq!(count_of(answer, "0018A45C4D1DEF81644B54AB7F969B88D65"), 1);
        assert_eq!(count_of(answer, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0"), 0);
        assert_eq!(count_of(answer, "00000000000000000000000000000000000"), 0);
        assert_eq!(
            count_of("garbage\n:\n", "1E4C9B93F3F0682250B6CF8331B7EE68FD8"),
            0
        );
    }
}
