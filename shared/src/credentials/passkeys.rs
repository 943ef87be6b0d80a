//! Passkeys: the WebAuthn relying party (webauthn-rs does every check of
//! the ceremonies; nothing here verifies a signature or parses
//! attestation), and the W3C JSON forms the API speaks.
//!
//! Each ceremony's state is kept server-side (`store::PasskeyStore`,
//! found again by the challenge in the client's `clientDataJSON` and
//! taken once), never sent to the client. Registration asks for a
//! discoverable credential with user verification; a login asks for
//! user verification with an empty `allowCredentials`, so the options
//! say nothing about who may log in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use thiserror::Error;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder, WebauthnError,
};

use webauthn_rs_proto::ResidentKeyRequirement;

use crate::model::passkey::{CEREMONY_SECONDS, StoredPasskey};
use crate::model::user::User;
use crate::settings::Settings;

/// Why a ceremony's answer is refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PasskeyError {
    /// Not a credential in the W3C JSON form, or no challenge in it.
    #[error("not a WebAuthn credential")]
    Malformed,
    /// A check failed: signature, origin, RP id, user verification,
    /// challenge, or the credential is not the one expected.
    #[error("the credential did not verify: {0}")]
    Refused(String),
    /// The signature counter did not move forward: a cloned authenticator.
    #[error("the signature counter went backwards")]
    CounterRegressed,
    /// A bug: state or credential we stored does not read back.
    #[error("stored WebAuthn state unreadable: {0}")]
    Internal(String),
}

/// The opaque user handle authenticators keep for `user_id`: a UUID
/// holding the id (never a name or an address), so a discoverable
/// assertion names its user without a lookup.
pub fn user_handle(user_id: u64) -> Uuid {
    Uuid::from_u64_pair(0, user_id)
}

/// The challenge a credential's `clientDataJSON` answers, base64url
/// without padding (how the ceremony's state is found); `None` if the
/// credential has none.
pub fn challenge_of(credential: &Value) -> Option<String> {
    let client_data = credential
        .get("response")?
        .get("clientDataJSON")?
        .as_str()?;
    let bytes = decode(client_data)?;
    let parsed: Value = serde_json::from_slice(&bytes).ok()?;
    let challenge = decode(parsed.get("challenge")?.as_str()?)?;
    (!challenge.is_empty()).then(|| URL_SAFE_NO_PAD.encode(challenge))
}

/// base64url, with or without padding.
fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

/// A ceremony begun: the options for the client and the state to keep.
pub struct Begun {
    /// `{"publicKey": …}` in the W3C JSON form.
    pub options: Value,
    /// base64url, no padding.
    pub challenge: String,
    /// webauthn-rs's state as JSON.
    pub state: String,
}

/// A registration finished: the credential to store.
pub struct Registered {
    /// The credential id, base64url without padding.
    pub id: String,
    /// webauthn-rs's `Passkey` as JSON.
    pub credential: String,
    pub backed_up: bool,
}

/// An assertion, parsed, before it is checked.
pub struct Assertion {
    credential: PublicKeyCredential,
    /// The credential id, base64url without padding.
    pub id: String,
    /// The user id its user handle holds, if it holds one of ours.
    pub user_id: Option<u64>,
}

/// A login checked: the credential as it is after this use.
pub struct Verified {
    /// webauthn-rs's `Passkey` as JSON, counter and flags updated.
    pub credential: String,
    pub backed_up: bool,
}

impl Assertion {
    /// An `AuthenticationResponseJSON` (`credential.toJSON()`), parsed.
    pub fn parse(credential: &Value) -> Result<Assertion, PasskeyError> {
        let parsed: PublicKeyCredential =
            serde_json::from_value(credential.clone()).map_err(|_| PasskeyError::Malformed)?;
        let id = URL_SAFE_NO_PAD.encode(parsed.get_credential_id());
        let user_id = parsed
            .get_user_unique_id()
            .and_then(|b| Uuid::from_slice(b).ok())
            .and_then(|u| match u.as_u64_pair() {
                (0, id) => Some(id),
                _ => None,
            });
        Ok(Assertion {
            credential: parsed,
            id,
            user_id,
        })
    }
}

/// The relying party, as the settings and the request's own origin make
/// it.
pub struct RelyingParty {
    webauthn: Webauthn,
}

impl RelyingParty {
    /// The relying party for a request to `own_origin` (the API's
    /// `scheme://host`): RP id `WEBAUTHN_RP_ID` (else the API's host),
    /// origins `WEBAUTHN_ALLOWED_ORIGINS` (else `CORS_ALLOWED_ORIGINS` and
    /// `own_origin`), each only if it is the RP id or a subdomain of it and
    /// (without `MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN`) `https`. `None` if
    /// no origin is left: no browser could run a ceremony.
    pub fn new(settings: &Settings, own_origin: Option<&str>) -> Option<RelyingParty> {
        let mfa = &settings.mfa;
        let own = own_origin.and_then(|o| Url::parse(o).ok());
        let rp_id = match &mfa.webauthn_rp_id {
            Some(id) => id.clone(),
            None => own.as_ref()?.host_str()?.to_owned(),
        };
        let configured = &mfa.webauthn_allowed_origins.0;
        let listed: Vec<&str> = if configured.is_empty() {
            let cors = &settings.cors.cors_allowed_origins.0;
            cors.iter().map(String::as_str).chain(own_origin).collect()
        } else {
            configured.iter().map(String::as_str).collect()
        };
        let mut origins = listed
            .into_iter()
            .filter_map(|o| Url::parse(o).ok())
            .filter(|u| {
                let secure = u.scheme() == "https"
                    || (u.scheme() == "http" && mfa.webauthn_allow_insecure_origin);
                let on_rp = u
                    .domain()
                    .is_some_and(|d| d == rp_id || d.ends_with(&format!(".{rp_id}")));
                secure && on_rp
            });
        let first = origins.next()?;
        let name = mfa.webauthn_rp_name.as_deref().unwrap_or(&mfa.totp_issuer);
        let builder = origins.fold(WebauthnBuilder::new(&rp_id, &first).ok()?, |b, origin| {
            b.append_allowed_origin(&origin)
        });
        let webauthn = builder
            .rp_name(name)
            .timeout(std::time::Duration::from_secs(CEREMONY_SECONDS as u64))
            .build()
            .ok()?;
        Some(RelyingParty { webauthn })
    }

    /// The origins ceremonies are accepted from.
    pub fn origins(&self) -> Vec<String> {
        let origins = self.webauthn.get_allowed_origins();
        origins
            .iter()
            .map(|u| u.origin().ascii_serialization())
            .collect()
    }

    /// Options to create a passkey for `user`: a discoverable credential
    /// with user verification, none of their passkeys again.
    pub fn start_registration(&self, user: &User) -> Result<Begun, PasskeyError> {
        self.start_registration_of(user.id, &user.username, &user.passkeys)
    }

    /// Begins the registration of the first passkey of an account not yet
    /// created: user `id` (reserved), named `username`.
    pub fn start_signup(&self, id: u64, username: &str) -> Result<Begun, PasskeyError> {
        self.start_registration_of(id, username, &[])
    }

    fn start_registration_of(
        &self,
        id: u64,
        username: &str,
        passkeys: &[StoredPasskey],
    ) -> Result<Begun, PasskeyError> {
        let exclude = passkeys
            .iter()
            .filter_map(|p| URL_SAFE_NO_PAD.decode(&p.id).ok())
            .collect::<Vec<_>>();
        let (mut options, state) = self
            .webauthn
            .start_passkey_registration(
                user_handle(id),
                username,
                username,
                (!exclude.is_empty()).then_some(exclude),
            )
            .map_err(internal)?;
        // A passkey logs in by itself: it must be discoverable.
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        let challenge = URL_SAFE_NO_PAD.encode(options.public_key.challenge.as_ref() as &[u8]);
        Ok(Begun {
            options: json!({ "publicKey": options.public_key }),
            challenge,
            state: serde_json::to_string(&state).map_err(internal)?,
        })
    }

    /// Checks a `RegistrationResponseJSON` against the registration's
    /// `state`.
    pub fn finish_registration(
        &self,
        credential: &Value,
        state: &str,
    ) -> Result<Registered, PasskeyError> {
        let response: RegisterPublicKeyCredential =
            serde_json::from_value(credential.clone()).map_err(|_| PasskeyError::Malformed)?;
        let state: PasskeyRegistration = serde_json::from_str(state).map_err(internal)?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&response, &state)
            .map_err(refused)?;
        let id = URL_SAFE_NO_PAD.encode(passkey.cred_id().as_ref() as &[u8]);
        let backed_up = backup_state(&passkey);
        Ok(Registered {
            id,
            credential: serde_json::to_string(&passkey).map_err(internal)?,
            backed_up,
        })
    }

    /// Options to log in with any passkey: user verification required,
    /// `allowCredentials` empty.
    pub fn start_login(&self) -> Result<Begun, PasskeyError> {
        let (options, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(internal)?;
        let challenge = URL_SAFE_NO_PAD.encode(options.public_key.challenge.as_ref() as &[u8]);
        Ok(Begun {
            options: json!({ "publicKey": options.public_key }),
            challenge,
            state: serde_json::to_string(&state).map_err(internal)?,
        })
    }

    /// Checks `assertion` against the login's `state` and the stored
    /// passkey it names: the passkey after this use.
    pub fn finish_login(
        &self,
        assertion: &Assertion,
        state: &str,
        stored: &StoredPasskey,
    ) -> Result<Verified, PasskeyError> {
        let state: DiscoverableAuthentication = serde_json::from_str(state).map_err(internal)?;
        let mut passkey: Passkey = serde_json::from_str(&stored.credential).map_err(internal)?;
        let result = self
            .webauthn
            .finish_discoverable_authentication_v2(&assertion.credential, state, &passkey)
            .map_err(|e| match e {
                WebauthnError::CredentialPossibleCompromise => PasskeyError::CounterRegressed,
                e => refused(e),
            })?;
        if !result.user_verified() {
            return Err(PasskeyError::Refused("no user verification".into()));
        }
        passkey.update_credential(&result);
        Ok(Verified {
            credential: serde_json::to_string(&passkey).map_err(internal)?,
            backed_up: result.backup_state(),
        })
    }
}

/// The backup state a new passkey was registered with.
fn backup_state(passkey: &Passkey) -> bool {
    // webauthn-rs keeps it in the credential it wraps (`cred`).
    serde_json::to_value(passkey)
        .ok()
        .and_then(|v| v.get("cred")?.get("backup_state")?.as_bool())
        .unwrap_or(false)
}

fn internal(e: impl std::fmt::Display) -> PasskeyError {
    PasskeyError::Internal(e.to_string())
}

fn refused(e: WebauthnError) -> PasskeyError {
    PasskeyError::Refused(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rp(vars: &[(&str, &str)], own: Option<&str>) -> Option<Vec<String>> {
        let map: std::collections::HashMap<&str, &str> = vars.iter().copied().collect();
        let settings = Settings::from_lookup(|name| match name {
            "SIGNING_KEY" => Some("k".repeat(32)),
            _ => map.get(name).map(|v| v.to_string()),
        })
        .expect("settings");
        RelyingParty::new(&settings, own).map(|rp| rp.origins())
    }

    #[test]
    fn only_origins_on_the_rp_id_and_secure_unless_allowed_are_kept() {
        let id = ("WEBAUTHN_RP_ID", "example.com");
        let origins = (
            "WEBAUTHN_ALLOWED_ORIGINS",
            "https://example.com,https://app.example.com,https://evil.com,http://example.com,https://notexample.com",
        );
        assert_eq!(
            rp(&[id, origins], None).unwrap(),
            ["https://example.com", "https://app.example.com"]
        );
        let insecure = ("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", "true");
        assert_eq!(rp(&[id, origins, insecure], None).unwrap().len(), 3);
        // Default: CORS origins and the API's own; its host is the RP id.
        let cors = (
            "CORS_ALLOWED_ORIGINS",
            "https://app.auth.example.org,https://x.test",
        );
        assert_eq!(
            rp(&[cors], Some("https://auth.example.org")).unwrap(),
            ["https://app.auth.example.org", "https://auth.example.org"]
        );
        // An address is no RP id: nothing can use passkeys.
        assert_eq!(rp(&[], Some("http://127.0.0.1:9000")), None);
        assert_eq!(rp(&[id], None), None);
    }

    #[test]
    fn the_challenge_is_read_from_client_data_whatever_its_padding() {
        let client_data = URL_SAFE_NO_PAD.encode(br#"{"type":"webauthn.get","challenge":"AAEC"}"#);
        let credential = json!({"response": {"clientDataJSON": client_data}});
        assert_eq!(challenge_of(&credential).as_deref(), Some("AAEC"));
        let padded =
            base64::engine::general_purpose::URL_SAFE.encode(br#"{"challenge":"AAECAw=="}"#);
        let credential = json!({"response": {"clientDataJSON": padded}});
        assert_eq!(challenge_of(&credential).as_deref(), Some("AAECAw"));
        for bad in [
            json!({}),
            json!({"response": {"clientDataJSON": "%%"}}),
            json!([]),
        ] {
            assert_eq!(challenge_of(&bad), None);
        }
        assert_eq!(user_handle(7).as_u64_pair(), (0, 7));
    }
}
