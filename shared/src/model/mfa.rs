//! What proves a second factor, and how consuming it went.

/// Wrong codes an `mfa_token` survives (the store refuses its use after).
pub const MFA_TOKEN_ATTEMPTS: u64 = 5;

/// What proves the second factor, as the store consumes it.
#[derive(Clone, PartialEq, Eq)]
pub enum Proof {
    /// A TOTP code matched this time step: only if it is later than the
    /// last one accepted.
    Step(u64),
    /// A recovery code with this stored hash: only if it is still there.
    Recovery(String),
}

impl std::fmt::Debug for Proof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Proof::Step(s) => write!(f, "Step({s})"),
            Proof::Recovery(_) => f.write_str("Recovery(..)"),
        }
    }
}

/// What else the write that consumes a [`Proof`] does.
#[derive(Clone, PartialEq, Eq)]
pub enum AfterProof {
    Nothing,
    /// New recovery-code hashes replace every old one.
    ReplaceRecovery(Vec<String>),
    /// TOTP off (every two-factor attribute removed) and the credential
    /// generation moved on, ending every session and token.
    Disable,
}

/// How consuming a proof went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redeemed {
    Done,
    /// The step was not later than the last accepted, the recovery code is
    /// used, TOTP is off, or the generation moved on: nothing written.
    CodeRefused,
    /// The `mfa_token` was used already or has had its wrong codes:
    /// nothing written.
    TokenRefused,
}
