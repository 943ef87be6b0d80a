//! A software passkey: 1Password's `passkey` authenticator and client,
//! an implementation of WebAuthn independent of the server's, speaking
//! the W3C JSON forms a browser's `toJSON()` produces. It holds one
//! credential, discoverable, with user verification unless told
//! otherwise.

use passkey::authenticator::{Authenticator, UiHint, UserCheck, UserValidationMethod};
use passkey::client::{Client, DefaultClientData};
use passkey::crypto::aws_lc_rs::AwsLcRsBackend;
use passkey::types::ctap2::{Aaguid, Ctap2Error};
use passkey::types::{Passkey, webauthn as w3c};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;
use url::Url;

/// Whether the user is verified (PIN, biometrics) when asked.
struct Verification(Arc<AtomicBool>);

#[async_trait::async_trait]
impl UserValidationMethod for Verification {
    type PasskeyItem = Passkey;

    async fn check_user<'a>(
        &self,
        _: UiHint<'a, Passkey>,
        presence: bool,
        _: bool,
    ) -> Result<UserCheck, Ctap2Error> {
        Ok(UserCheck {
            presence,
            verification: self.0.load(Ordering::SeqCst),
        })
    }

    fn is_verification_enabled(&self) -> Option<bool> {
        Some(self.0.load(Ordering::SeqCst))
    }

    fn is_presence_enabled(&self) -> bool {
        true
    }
}

type SoftClient =
    Client<Option<Passkey>, Verification, AwsLcRsBackend, public_suffix::PublicSuffixList, ()>;

/// One software authenticator, used from one origin.
pub struct SoftKey {
    client: SoftClient,
    origin: Url,
    verifies: Arc<AtomicBool>,
}

impl SoftKey {
    /// An authenticator that verifies its user, in a browser at `origin`.
    pub fn new(origin: &str) -> Self {
        Self::with_verification(origin, true)
    }

    /// An authenticator that can verify its user or not.
    pub fn with_verification(origin: &str, verifies: bool) -> Self {
        let store: Option<Passkey> = None;
        let verifies = Arc::new(AtomicBool::new(verifies));
        let authenticator = Authenticator::new(
            Aaguid::new_empty(),
            store,
            Verification(verifies.clone()),
            AwsLcRsBackend,
        );
        SoftKey {
            client: Client::new(authenticator).allows_insecure_localhost(true),
            origin: Url::parse(origin).expect("an origin"),
            verifies,
        }
    }

    /// Whether it verifies its user from now on (WebAuthn's UV flag).
    pub fn set_verifies(&mut self, verifies: bool) {
        self.verifies.store(verifies, Ordering::SeqCst);
    }

    /// Uses its credential from another origin from now on.
    pub fn move_to(&mut self, origin: &str) {
        self.origin = Url::parse(origin).expect("an origin");
    }

    /// `navigator.credentials.create(parseCreationOptionsFromJSON(options))`
    /// then `toJSON()`: a `RegistrationResponseJSON`.
    pub async fn create(&mut self, options: &Value) -> Result<Value, String> {
        let request: w3c::CredentialCreationOptions =
            serde_json::from_value(options.clone()).map_err(|e| e.to_string())?;
        let created = self
            .client
            .register(&self.origin, request, DefaultClientData)
            .await
            .map_err(|e| format!("{e:?}"))?;
        Ok(serde_json::to_value(&created).expect("JSON"))
    }

    /// `navigator.credentials.get(parseRequestOptionsFromJSON(options))`
    /// then `toJSON()`: an `AuthenticationResponseJSON`.
    pub async fn get(&mut self, options: &Value) -> Result<Value, String> {
        let request: w3c::CredentialRequestOptions =
            serde_json::from_value(options.clone()).map_err(|e| e.to_string())?;
        let asserted = self
            .client
            .authenticate(&self.origin, request, DefaultClientData)
            .await
            .map_err(|e| format!("{e:?}"))?;
        Ok(serde_json::to_value(&asserted).expect("JSON"))
    }

    /// The signature counter the authenticator keeps (`None`: it keeps
    /// none, as most passkeys; it then sends 0).
    pub fn set_counter(&mut self, counter: Option<u32>) {
        if let Some(p) = self.client.authenticator_mut().store_mut().as_mut() {
            p.counter = counter;
        }
    }

    /// Whether it holds a credential.
    pub fn holds_one(&self) -> bool {
        self.client.authenticator().store().is_some()
    }
}
