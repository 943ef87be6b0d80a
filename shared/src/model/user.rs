//! Users: who they are, their password hash, their credential generation
//! and two-factor state, what may change on them, and the hash-cost marks.

/// Longest username accepted (Django's `AbstractUser.username` max_length).
pub const MAX_USERNAME_CHARS: usize = 150;

#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct User {
    pub id: u64,
    pub username: String,
    /// PHC string (`$argon2id$...`).
    pub password: String,
    pub is_active: bool,
    /// Credential generation: moves on with every password change and
    /// logout-everywhere. Sessions and tokens of an older generation are
    /// refused.
    #[serde(default, rename = "gen")]
    pub generation: u64,
    /// Their address (Django's `email`, blank if none): at most one user
    /// holds an address, compared case-insensitively (the users table's
    /// `email#<address>` item, written with it).
    #[serde(default)]
    pub email: String,
    /// Whether its owner proved it (allauth's `EmailAddress.verified`).
    #[serde(default)]
    pub email_verified: bool,
    /// Their names (Django's `first_name` and `last_name`, blank if
    /// none; absent from the item while blank).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub first_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_name: String,
    /// Two-factor state (attributes of the user's item, read with it).
    #[serde(skip)]
    pub mfa: MfaState,
    /// Their passkeys (attributes of the user's item, read with it), in
    /// the order they were added.
    #[serde(skip)]
    pub passkeys: Vec<crate::model::passkey::StoredPasskey>,
    /// Their consents to third-party OAuth clients (attributes of the
    /// user's item, read with it), by client id.
    #[serde(skip)]
    pub consents: Vec<crate::model::consent::Consent>,
}

/// A user's two-factor state: `totp_pending`, `totp`, `totp_step` and
/// `recovery` on their users-table item, so a login reads it with the user
/// at no extra cost (and users without TOTP have none of them).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MfaState {
    /// The sealed secret of an enrolment not yet confirmed.
    pub pending: Option<String>,
    /// The sealed secret, when TOTP is on.
    pub totp: Option<String>,
    /// The last time step accepted: only later ones are accepted.
    pub step: Option<u64>,
    /// Keyed hashes of the unused recovery codes.
    pub recovery: Vec<String>,
    /// Second-factor attempts since the last completed login that did not
    /// complete one (`mfa_failures`), across every `mfa_token` and address.
    pub failures: u64,
    /// Until when the second step is refused (`mfa_locked_until`), set
    /// with the failure that locks it.
    pub locked_until: Option<i64>,
}

impl User {
    /// Their consent to OAuth client `client_id`, if they gave one.
    pub fn consent(&self, client_id: &str) -> Option<&crate::model::consent::Consent> {
        self.consents.iter().find(|c| c.client_id == client_id)
    }

    /// Their passkey whose credential id is `id`, if any.
    pub fn passkey(&self, id: &str) -> Option<&crate::model::passkey::StoredPasskey> {
        self.passkeys.iter().find(|p| p.id == id)
    }
}

impl MfaState {
    /// Whether a password alone no longer logs this user in.
    pub fn is_on(&self) -> bool {
        self.totp.is_some()
    }
}

impl std::fmt::Debug for MfaState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaState")
            .field("pending", &self.pending.is_some())
            .field("on", &self.totp.is_some())
            .field("step", &self.step)
            .field("recovery_codes", &self.recovery.len())
            .field("failures", &self.failures)
            .field("locked_until", &self.locked_until)
            .finish()
    }
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("is_active", &self.is_active)
            .field("gen", &self.generation)
            .finish_non_exhaustive()
    }
}

/// What may change on a user; each is one conditional write.
#[derive(Clone)]
pub enum UserChange {
    /// A new password hash. Moves `gen` on, ending every session and token.
    /// With `if_current`, only if the stored hash is still that one
    /// (else [`UpdateUserError::Conflict`]).
    Password {
        hash: String,
        if_current: Option<String>,
    },
    /// The same password re-hashed in our format (a Django hash upgraded
    /// at login): `gen` stays, so sessions and tokens live on. Only if the
    /// stored hash is still `if_current` (else Conflict).
    Rehash {
        hash: String,
        if_current: String,
    },
    Active(bool),
    /// Logout everywhere: moves `gen` on.
    Revoke,
    /// Two-factor authentication off (support's `authctl mfa disable`):
    /// every two-factor attribute removed, and `gen` moved on.
    DisableMfa,
    /// The second step open again (support's `authctl mfa unlock`): the
    /// consecutive failures forgotten.
    UnlockMfa,
    /// The names the user gave (`None`: unchanged; blank: removed).
    Names {
        first_name: Option<String>,
        last_name: Option<String>,
    },
}

impl UserChange {
    /// A new password, whatever the current one is.
    pub fn password(hash: impl Into<String>) -> Self {
        UserChange::Password {
            hash: hash.into(),
            if_current: None,
        }
    }
}

impl std::fmt::Debug for UserChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserChange::Password { .. } => f.write_str("Password"),
            UserChange::Rehash { .. } => f.write_str("Rehash"),
            UserChange::Active(a) => write!(f, "Active({a})"),
            UserChange::Revoke => f.write_str("Revoke"),
            UserChange::DisableMfa => f.write_str("DisableMfa"),
            UserChange::UnlockMfa => f.write_str("UnlockMfa"),
            UserChange::Names { .. } => f.write_str("Names"),
        }
    }
}

/// The most work of each kind any stored hash needs to verify: what every
/// failed check spends (`credentials::password`, "Equal time"), kept on the
/// users table's `meta#hash-costs` item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HashCosts {
    /// Argon2 KiB × passes, of Django's Argon2 hashes or ours with other
    /// parameters (never less than ours).
    pub argon2_work: u64,
    /// PBKDF2 iterations of Django's `pbkdf2_sha256` hashes.
    pub pbkdf2_iterations: u32,
    /// bcrypt cost (log2 of its rounds) of Django's `bcrypt_sha256` hashes.
    pub bcrypt_cost: u32,
}

impl HashCosts {
    /// The larger of each kind.
    pub fn max(self, other: HashCosts) -> HashCosts {
        HashCosts {
            argon2_work: self.argon2_work.max(other.argon2_work),
            pbkdf2_iterations: self.pbkdf2_iterations.max(other.pbkdf2_iterations),
            bcrypt_cost: self.bcrypt_cost.max(other.bcrypt_cost),
        }
    }
}

/// Longest address accepted (Django's `EmailField`, RFC 5321's path).
pub const MAX_EMAIL_CHARS: usize = 254;

/// The form in which addresses are compared (and keyed): lowercased, as
/// django-allauth compares them (`email__iexact`).
pub fn email_identity(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Addresses a user can hold: at most 254 characters, one `@` with
/// something on each side, no whitespace or control characters. (The mail
/// system has the last word: a link reaches only an address that exists.)
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.chars().count() <= MAX_EMAIL_CHARS
        && !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Usernames that can exist: 1 to 150 characters, Django's
/// `UnicodeUsernameValidator` (`^[\w.@+-]+\Z`).
pub fn valid_username(username: &str) -> bool {
    let count = username.chars().count();
    (1..=MAX_USERNAME_CHARS).contains(&count)
        && username
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || matches!(c, '.' | '@' | '+' | '-'))
}
