//! What proves a second factor, and how consuming it went.

/// Codes an `mfa_token` may have checked (the store refuses it after).
pub const MFA_TOKEN_ATTEMPTS: u64 = 5;

pub use crate::settings::MFA_FAILURES_CAP;

/// The first lock's length, doubled by each failure after it.
const LOCK_SECONDS: i64 = 60;
/// The longest lock below the cap.
const LONGEST_LOCK_SECONDS: i64 = 86_400;

/// Whether a user's second step may be tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondStep {
    Open,
    /// Refused for this many more seconds.
    LockedFor(u64),
    /// Refused until an operator clears it (at [`MFA_FAILURES_CAP`]).
    LockedUntilCleared,
}

impl SecondStep {
    /// The step after `failures` consecutive failures, the last locking
    /// it until `locked_until`, with `max` (`MFA_TOTP_MAX_FAILURES`)
    /// failures allowed before the first lock.
    pub fn after(failures: u64, locked_until: Option<i64>, max: u64, now: i64) -> SecondStep {
        if failures >= MFA_FAILURES_CAP {
            return SecondStep::LockedUntilCleared;
        }
        if failures < max {
            return SecondStep::Open;
        }
        match locked_until {
            Some(until) if until <= now => SecondStep::Open,
            Some(until) => SecondStep::LockedFor((until - now) as u64),
            // Set with the failure that locks: absent, it is in flight.
            None => SecondStep::LockedFor(1),
        }
    }
}

/// Until when the `failures`-th consecutive failure at `now` locks the
/// second step: not before `max`, then 60 s doubling with each failure
/// up to a day.
pub fn lock_until(failures: u64, max: u64, now: i64) -> Option<i64> {
    let beyond = failures.checked_sub(max)?;
    let seconds = LOCK_SECONDS
        .saturating_mul(1 << beyond.min(20))
        .min(LONGEST_LOCK_SECONDS);
    Some(now + seconds)
}

/// How charging a second-factor attempt went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charged {
    Done,
    /// The `mfa_token` is used or has had its attempts: nothing charged.
    TokenRefused,
    /// The user changed since read (another attempt charged meanwhile,
    /// TOTP turned off, the generation moved on): nothing charged.
    Moved,
}

/// What proves the second factor, as the store consumes it.
#[derive(Clone, PartialEq, Eq)]
pub enum Proof {
    /// A TOTP code matched this time step: only if it is later than the
    /// last one accepted.
    Step(u64),
    /// A recovery code with this stored hash: only if it is still there.
    Recovery(String),
    /// An assertion of one of the user's passkeys, checked: its use is
    /// written only if the passkey is still as it was checked.
    Passkey(crate::model::passkey::PasskeyUse),
}

impl std::fmt::Debug for Proof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Proof::Step(s) => write!(f, "Step({s})"),
            Proof::Recovery(_) => f.write_str("Recovery(..)"),
            Proof::Passkey(used) => write!(f, "Passkey(at {})", used.at),
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
    /// The `mfa_token` was used already: nothing written.
    TokenRefused,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_second_step_locks_at_max_for_a_doubling_delay_and_for_good_at_the_cap() {
        let now = 1_000_000;
        assert_eq!(lock_until(9, 10, now), None);
        assert_eq!(lock_until(10, 10, now), Some(now + 60));
        assert_eq!(lock_until(11, 10, now), Some(now + 120));
        assert_eq!(lock_until(20, 10, now), Some(now + 61_440));
        assert_eq!(lock_until(21, 10, now), Some(now + 86_400));
        assert_eq!(lock_until(99, 10, now), Some(now + 86_400));
        assert_eq!(SecondStep::after(9, None, 10, now), SecondStep::Open);
        assert_eq!(
            SecondStep::after(10, Some(now + 60), 10, now),
            SecondStep::LockedFor(60)
        );
        assert_eq!(SecondStep::after(10, Some(now), 10, now), SecondStep::Open);
        assert_eq!(
            SecondStep::after(100, Some(now - 1), 10, now),
            SecondStep::LockedUntilCleared
        );
    }
}
