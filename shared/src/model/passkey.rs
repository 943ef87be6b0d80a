//! Passkeys (WebAuthn credentials) as the store keeps them, and the state
//! of a ceremony in flight. The credential itself (its public key,
//! counter and flags) is webauthn-rs's `Passkey`, kept as its JSON:
//! nothing here reads it, `credentials::passkeys` does.

/// Passkeys a user may hold (each one is an attribute of their item and
/// one lookup item; deleting the user removes them in one transaction).
pub const MAX_PASSKEYS: usize = 10;

/// Seconds a ceremony's state lives (WebAuthn's recommended timeout for
/// user verification, 300 s).
pub const CEREMONY_SECONDS: i64 = 300;

/// Longest name a passkey may be given (characters).
pub const MAX_PASSKEY_NAME_CHARS: usize = 150;

/// A passkey's name when none is given.
pub const DEFAULT_PASSKEY_NAME: &str = "Passkey";

/// One of a user's passkeys.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredPasskey {
    /// The credential id, base64url without padding: the API's `id`.
    pub id: String,
    pub name: String,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds of the last login with it, if any.
    pub last_used: Option<i64>,
    /// The authenticator's backup state (BS flag) at its last use.
    pub backed_up: bool,
    /// webauthn-rs's `Passkey` as JSON: public key, counter, flags.
    pub credential: String,
}

impl std::fmt::Debug for StoredPasskey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredPasskey")
            .field("name", &self.name)
            .field("created", &self.created)
            .field("last_used", &self.last_used)
            .field("backed_up", &self.backed_up)
            .finish_non_exhaustive()
    }
}

/// What a ceremony is for: its state is taken only by the step that
/// finishes that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyKind {
    /// `passkeys/register/options` → `passkeys/register` (one user's).
    Register,
    /// `login/passkey/options` → `login/passkey` or `login/mfa`.
    Login,
    /// `registration/passkey/options` → `registration/passkey` (a new
    /// account's, its id reserved, its username and address held).
    Signup,
}

impl CeremonyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CeremonyKind::Register => "register",
            CeremonyKind::Login => "login",
            CeremonyKind::Signup => "signup",
        }
    }
}

/// A ceremony in flight, stored server-side until it is finished (taken
/// once, by a conditional delete) or expires.
#[derive(Clone, PartialEq, Eq)]
pub struct Ceremony {
    /// The challenge, base64url without padding: what the client's
    /// `clientDataJSON` names it by.
    pub challenge: String,
    pub kind: CeremonyKind,
    /// Whose registration it is (`Register`; `Signup`: the id reserved).
    pub user_id: Option<u64>,
    /// The account a `Signup` creates.
    pub applicant: Option<Applicant>,
    /// webauthn-rs's state as JSON.
    pub state: String,
    pub expires_at: i64,
}

/// The account a passkey sign-up asked for, held with its ceremony.
#[derive(Clone, PartialEq, Eq)]
pub struct Applicant {
    pub username: String,
    pub email: String,
}

impl Ceremony {
    /// Its item's key in the throttle table.
    pub fn item_key(challenge: &str) -> String {
        format!("webauthn#{challenge}")
    }
}

impl std::fmt::Debug for Ceremony {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ceremony")
            .field("kind", &self.kind)
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A login with a passkey, checked, to be written: the passkey `id`'s
/// stored credential `previous` (the one the assertion was checked
/// against) becomes `credential` (counter and flags moved on), used `at`,
/// only if it is still `previous`.
#[derive(Clone, PartialEq, Eq)]
pub struct PasskeyUse {
    pub id: String,
    pub previous: String,
    pub credential: String,
    pub backed_up: bool,
    pub at: i64,
}

impl PasskeyUse {
    /// Applies it to `passkey` if that is the one it was checked against
    /// (the in-memory store's write); whether it did.
    pub fn apply(&self, passkey: &mut StoredPasskey) -> bool {
        let matches = passkey.id == self.id && passkey.credential == self.previous;
        if matches {
            passkey.credential = self.credential.clone();
            passkey.backed_up = self.backed_up;
            passkey.last_used = Some(self.at);
        }
        matches
    }
}

/// How adding a passkey went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Done,
    /// Another passkey (anyone's) has this credential id.
    Taken,
    /// The user holds [`MAX_PASSKEYS`] already.
    Full,
    /// The user is gone, or their credential generation moved on.
    UserChanged,
}
