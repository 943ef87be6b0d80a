//! The store in memory, with the same rules as the DynamoDB store.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::base::time::now;
use crate::model::client::OAuthClient;
use crate::model::code::{AuthorizationCode, Redemption};
use crate::model::consent::Consent;
use crate::model::counter::Counter;
use crate::model::key::{AccountKey, KeyUse};
use crate::model::mfa::{AfterProof, Charged, MFA_TOKEN_ATTEMPTS, Proof, Redeemed};
use crate::model::passkey::{
    Added, Ceremony, CeremonyKind, MAX_PASSKEYS, PasskeyUse, StoredPasskey,
};
use crate::model::session::{Session, stored_session_key};
use crate::model::token::{Revocation, Rotation, TokenState};
use crate::model::user::{HashCosts, MfaState, User, UserChange, email_identity, valid_email};
use crate::settings::LoginBy;
use crate::store::api::{
    ClientStore, CreateUserError, KeyStore, MfaStore, PasskeyStore, SessionStore, SetEmailError,
    StoreError, ThrottleStore, TokenStore, UpdateUserError, UserAdmin, UserStore,
};

#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    users: HashMap<u64, User>,
    usernames: HashMap<String, u64>,
    /// `email_identity` → user id.
    emails: HashMap<String, u64>,
    last_id: u64,
    sessions: HashMap<String, Session>,
    blacklist: HashMap<String, Revocation>,
    families: HashMap<String, i64>,
    counters: HashMap<String, (u64, i64)>,
    /// Remembered throttle keys → until when.
    remembered: HashMap<String, i64>,
    /// `mfa_token` id → (attempts, used, expires_at).
    mfa_tokens: HashMap<String, (u64, bool, i64)>,
    hash_costs: HashCosts,
    /// Email links' keys by item id.
    keys: HashMap<String, AccountKey>,
    /// Passkey credential id → its user's id.
    credentials: HashMap<String, u64>,
    /// WebAuthn ceremonies by challenge.
    ceremonies: HashMap<String, Ceremony>,
    /// OAuth clients by id.
    clients: HashMap<String, OAuthClient>,
    /// Authorization codes by item id, and whether used.
    codes: HashMap<String, (AuthorizationCode, bool)>,
}

impl State {
    fn revocation(&self, jti: &str, now: i64) -> Option<Revocation> {
        self.blacklist
            .get(jti)
            .filter(|r| r.expires_at > now)
            .cloned()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave State half-updated:
        // every mutation below is a single insert or remove.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the hash-cost marks (as an import of Django hashes would).
    pub fn set_hash_costs(&self, costs: HashCosts) {
        self.state().hash_costs = costs;
    }

    /// Number of live sessions (for tests).
    pub fn session_count(&self) -> usize {
        let now = now();
        self.state()
            .sessions
            .values()
            .filter(|s| s.expires_at > now)
            .count()
    }
}

impl UserStore for MemoryStore {
    async fn user_by_id(&self, id: u64) -> Result<Option<User>, StoreError> {
        Ok(self.state().users.get(&id).cloned())
    }

    async fn login_candidate(
        &self,
        login: &str,
        by: LoginBy,
    ) -> Result<(Option<User>, HashCosts), StoreError> {
        let by_email = match by.email() {
            true => self.user_by_email(login).await?,
            false => None,
        };
        let user = match (by_email, by.username()) {
            (Some(user), _) => Some(user),
            (None, true) => self.user_by_username(login).await?,
            (None, false) => None,
        };
        Ok((user, self.state().hash_costs))
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        let state = self.state();
        Ok(state
            .usernames
            .get(username)
            .and_then(|id| state.users.get(id))
            .cloned())
    }

    async fn update_user(&self, id: u64, change: UserChange) -> Result<User, UpdateUserError> {
        let mut state = self.state();
        let user = state.users.get_mut(&id).ok_or(UpdateUserError::NotFound)?;
        match change {
            UserChange::Password { hash, if_current } => {
                if if_current.is_some_and(|current| current != user.password) {
                    return Err(UpdateUserError::Conflict);
                }
                user.password = hash;
                user.generation += 1;
            }
            UserChange::Rehash { hash, if_current } => {
                if if_current != user.password {
                    return Err(UpdateUserError::Conflict);
                }
                user.password = hash;
            }
            UserChange::Active(active) => user.is_active = active,
            UserChange::Revoke => user.generation += 1,
            UserChange::DisableMfa => {
                user.mfa = MfaState::default();
                user.generation += 1;
            }
            UserChange::UnlockMfa => {
                user.mfa.failures = 0;
                user.mfa.locked_until = None;
            }
            UserChange::Names {
                first_name,
                last_name,
            } => {
                if let Some(name) = first_name {
                    user.first_name = name;
                }
                if let Some(name) = last_name {
                    user.last_name = name;
                }
            }
        }
        Ok(user.clone())
    }
}

impl UserAdmin for MemoryStore {
    async fn delete_user(&self, user: &User) -> Result<(), UpdateUserError> {
        let mut state = self.state();
        let gone = state
            .users
            .remove(&user.id)
            .ok_or(UpdateUserError::NotFound)?;
        state.usernames.remove(&gone.username);
        if !gone.email.is_empty() {
            state.emails.remove(&email_identity(&gone.email));
        }
        for passkey in &gone.passkeys {
            state.credentials.remove(&passkey.id);
        }
        Ok(())
    }

    async fn set_email(
        &self,
        user: &User,
        email: &str,
        verified: bool,
    ) -> Result<User, SetEmailError> {
        if !email.is_empty() && !valid_email(email) {
            return Err(SetEmailError::Invalid);
        }
        let mut state = self.state();
        let (new, old) = (email_identity(email), email_identity(&user.email));
        if !email.is_empty() && state.emails.get(&new).is_some_and(|id| *id != user.id) {
            return Err(SetEmailError::Taken);
        }
        let Some(stored) = state.users.get_mut(&user.id) else {
            return Err(SetEmailError::NotFound);
        };
        if stored.email != user.email {
            return Err(SetEmailError::Conflict);
        }
        stored.email = email.to_owned();
        stored.email_verified = verified;
        let updated = stored.clone();
        if !user.email.is_empty() && old != new {
            state.emails.remove(&old);
        }
        if !email.is_empty() {
            state.emails.insert(new, user.id);
        }
        Ok(updated)
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let state = self.state();
        Ok((state.emails.get(&email_identity(email)))
            .and_then(|id| state.users.get(id))
            .cloned())
    }

    async fn create_user_with_email(
        &self,
        username: &str,
        password_hash: &str,
        email: &str,
        verified: bool,
    ) -> Result<User, CreateUserError> {
        if !email.is_empty() && !valid_email(email) {
            return Err(StoreError::Internal(format!("not an address: {email:?}")).into());
        }
        let mut state = self.state();
        if state.usernames.contains_key(username) {
            return Err(CreateUserError::UsernameTaken);
        }
        if !email.is_empty() && state.emails.contains_key(&email_identity(email)) {
            return Err(CreateUserError::EmailTaken);
        }
        state.last_id += 1;
        let user = User {
            id: state.last_id,
            username: username.to_owned(),
            password: password_hash.to_owned(),
            is_active: true,
            generation: 0,
            email: email.to_owned(),
            email_verified: verified && !email.is_empty(),
            first_name: String::new(),
            last_name: String::new(),
            mfa: Default::default(),
            passkeys: Vec::new(),
            consents: Vec::new(),
        };
        state.usernames.insert(user.username.clone(), user.id);
        if !email.is_empty() {
            state.emails.insert(email_identity(email), user.id);
        }
        state.users.insert(user.id, user.clone());
        Ok(user)
    }
}

impl SessionStore for MemoryStore {
    async fn session(&self, session_key: &str) -> Result<Option<Session>, StoreError> {
        let now = now();
        Ok(self
            .state()
            .sessions
            .get(&stored_session_key(session_key))
            .filter(|s| s.expires_at > now)
            .cloned())
    }

    async fn create_session(
        &self,
        session: &Session,
        replaces: Option<&str>,
    ) -> Result<bool, StoreError> {
        let now = now();
        let mut state = self.state();
        if state
            .sessions
            .get(&stored_session_key(&session.session_key))
            .is_some_and(|s| s.expires_at > now)
        {
            return Ok(false);
        }
        if let Some(old) = replaces {
            state.sessions.remove(&stored_session_key(old));
        }
        state
            .sessions
            .insert(stored_session_key(&session.session_key), session.clone());
        Ok(true)
    }

    async fn delete_session(&self, session_key: &str) -> Result<(), StoreError> {
        self.state()
            .sessions
            .remove(&stored_session_key(session_key));
        Ok(())
    }
}

impl TokenStore for MemoryStore {
    async fn token_state(
        &self,
        user_id: Option<u64>,
        jti: Option<&str>,
        fam: Option<&str>,
    ) -> Result<TokenState, StoreError> {
        let now = now();
        let state = self.state();
        Ok(TokenState {
            user: user_id.and_then(|id| state.users.get(&id).cloned()),
            revoked: jti.and_then(|jti| state.revocation(jti, now)),
            family_revoked: fam
                .is_some_and(|f| state.families.get(f).is_some_and(|exp| *exp > now)),
        })
    }

    async fn revocation(&self, jti: &str) -> Result<Option<Revocation>, StoreError> {
        Ok(self.state().revocation(jti, now()))
    }

    async fn blacklist(&self, jti: &str, expires_at: i64) -> Result<bool, StoreError> {
        self.insert(jti, expires_at, None)
    }

    async fn rotate(
        &self,
        jti: &str,
        expires_at: i64,
        rotation: &Rotation,
    ) -> Result<bool, StoreError> {
        self.insert(jti, expires_at, Some(rotation.clone()))
    }

    async fn revoke_family(&self, fam: &str, expires_at: i64) -> Result<(), StoreError> {
        let mut state = self.state();
        let entry = state.families.entry(fam.to_owned()).or_insert(expires_at);
        *entry = (*entry).max(expires_at);
        Ok(())
    }
}

impl ThrottleStore for MemoryStore {
    async fn take_slot(
        &self,
        key: &str,
        gap: i64,
        now: i64,
        counters: &[(&Counter, u64)],
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let mut state = self.state();
        let live = |state: &State, key: &str| match state.counters.get(key) {
            Some((value, until)) if *until > now => Some(*value),
            _ => None,
        };
        if live(&state, key).is_some_and(|taken_at| taken_at as i64 > now - gap) {
            return Ok(false);
        }
        if counters
            .iter()
            .any(|(c, limit)| live(&state, &c.key).unwrap_or(0) >= *limit)
        {
            return Ok(false);
        }
        state
            .counters
            .insert(key.to_owned(), (now as u64, expires_at));
        for (c, _) in counters {
            let hits = live(&state, &c.key).unwrap_or(0);
            state.counters.insert(c.key.clone(), (hits + 1, expires_at));
        }
        Ok(true)
    }

    async fn hit(&self, counters: &[Counter], expires_at: i64) -> Result<Vec<u64>, StoreError> {
        let now = now();
        let mut state = self.state();
        Ok(counters
            .iter()
            .map(|counter| {
                let c = state
                    .counters
                    .entry(counter.key.clone())
                    .or_insert((0, expires_at));
                if c.1 <= now {
                    *c = (0, expires_at);
                }
                c.0 += 1;
                c.0
            })
            .collect())
    }

    async fn charge(
        &self,
        counters: &[(&Counter, u64)],
        expires_at: i64,
    ) -> Result<Vec<usize>, StoreError> {
        let now = now();
        let mut state = self.state();
        let count = |state: &State, key: &str| match state.counters.get(key) {
            Some((hits, until)) if *until > now => *hits,
            _ => 0,
        };
        let refused: Vec<usize> = (counters.iter().enumerate())
            .filter(|(_, (counter, limit))| count(&state, &counter.key) >= *limit)
            .map(|(i, _)| i)
            .collect();
        if refused.is_empty() {
            for (counter, _) in counters {
                let c = state
                    .counters
                    .entry(counter.key.clone())
                    .or_insert((0, expires_at));
                if c.1 <= now {
                    *c = (0, expires_at);
                }
                c.0 += 1;
            }
        }
        Ok(refused)
    }

    async fn remembers(&self, key: &str) -> Result<bool, StoreError> {
        let state = self.state();
        Ok(state
            .remembered
            .get(key)
            .is_some_and(|until| *until > now()))
    }

    async fn release(
        &self,
        reset: &[String],
        undo: &[String],
        remember: Option<(&str, i64)>,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        for k in reset {
            state.counters.remove(k);
        }
        for k in undo {
            if let Some(c) = state.counters.get_mut(k) {
                c.0 = c.0.saturating_sub(1);
            }
        }
        if let Some((key, until)) = remember {
            state.remembered.insert(key.to_owned(), until);
        }
        Ok(())
    }
}

impl MemoryStore {
    fn insert(
        &self,
        jti: &str,
        expires_at: i64,
        rotation: Option<Rotation>,
    ) -> Result<bool, StoreError> {
        let mut state = self.state();
        if state.revocation(jti, now()).is_some() {
            return Ok(false);
        }
        state.blacklist.insert(
            jti.to_owned(),
            Revocation {
                expires_at,
                rotation,
            },
        );
        Ok(true)
    }
}

impl MfaStore for MemoryStore {
    async fn begin_totp(&self, id: u64, sealed: &str) -> Result<bool, StoreError> {
        let mut state = self.state();
        match state.users.get_mut(&id) {
            Some(user) if !user.mfa.is_on() => {
                user.mfa.pending = Some(sealed.to_owned());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn confirm_totp(
        &self,
        id: u64,
        sealed: &str,
        step: u64,
        recovery: &[String],
    ) -> Result<bool, StoreError> {
        let mut state = self.state();
        match state.users.get_mut(&id) {
            Some(user) if !user.mfa.is_on() && user.mfa.pending.as_deref() == Some(sealed) => {
                let mut recovery = recovery.to_vec();
                recovery.sort();
                user.mfa = MfaState {
                    pending: None,
                    totp: Some(sealed.to_owned()),
                    step: Some(step),
                    recovery,
                    failures: 0,
                    locked_until: None,
                };
                user.generation += 1;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn redeem(
        &self,
        id: u64,
        generation: u64,
        proof: &Proof,
        token: Option<(&str, i64)>,
        then: &AfterProof,
    ) -> Result<Redeemed, StoreError> {
        let now = now();
        let mut state = self.state();
        let token_live = |t: &(u64, bool, i64)| t.2 > now;
        if let Some((jti, _)) = token {
            let used = state
                .mfa_tokens
                .get(jti)
                .filter(|t| token_live(t))
                .is_some_and(|t| t.1);
            if used {
                return Ok(Redeemed::TokenRefused);
            }
        }
        let Some(user) = state.users.get_mut(&id) else {
            return Ok(Redeemed::CodeRefused);
        };
        let accepted = user.mfa.is_on()
            && user.generation == generation
            && match proof {
                Proof::Step(step) => user.mfa.step.is_none_or(|last| last < *step),
                Proof::Recovery(hash) => user.mfa.recovery.contains(hash),
                Proof::Passkey(used) => {
                    (user.passkey(&used.id)).is_some_and(|p| p.credential == used.previous)
                }
            };
        if !accepted {
            return Ok(Redeemed::CodeRefused);
        }
        match proof {
            Proof::Step(step) => user.mfa.step = Some(*step),
            Proof::Recovery(hash) => user.mfa.recovery.retain(|h| h != hash),
            Proof::Passkey(used) => {
                user.passkeys.iter_mut().any(|p| used.apply(p));
            }
        }
        match then {
            AfterProof::Nothing => {}
            AfterProof::ReplaceRecovery(hashes) => {
                let mut hashes = hashes.clone();
                hashes.sort();
                user.mfa.recovery = hashes;
            }
            AfterProof::Disable => {
                user.mfa = MfaState::default();
                user.generation += 1;
            }
        }
        // Both factors proven: the consecutive failures are forgotten.
        user.mfa.failures = 0;
        user.mfa.locked_until = None;
        if let Some((jti, expires_at)) = token {
            let entry = state
                .mfa_tokens
                .entry(jti.to_owned())
                .or_insert((0, false, expires_at));
            if !token_live(entry) {
                *entry = (0, false, expires_at);
            }
            entry.1 = true;
        }
        Ok(Redeemed::Done)
    }

    async fn reseal_totp(&self, id: u64, old: &str, new: &str) -> Result<bool, StoreError> {
        let mut state = self.state();
        match state.users.get_mut(&id) {
            Some(user) if user.mfa.totp.as_deref() == Some(old) => {
                user.mfa.totp = Some(new.to_owned());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn charge_second_factor(
        &self,
        user: &User,
        locked_until: Option<i64>,
        token: Option<(&str, i64)>,
    ) -> Result<Charged, StoreError> {
        let now = now();
        let mut state = self.state();
        if let Some((jti, _)) = token {
            let dead = state
                .mfa_tokens
                .get(jti)
                .filter(|t| t.2 > now)
                .is_some_and(|t| t.1 || t.0 >= MFA_TOKEN_ATTEMPTS);
            if dead {
                return Ok(Charged::TokenRefused);
            }
        }
        let Some(stored) = state.users.get_mut(&user.id) else {
            return Ok(Charged::Moved);
        };
        if !stored.mfa.is_on()
            || stored.generation != user.generation
            || stored.mfa.failures != user.mfa.failures
        {
            return Ok(Charged::Moved);
        }
        stored.mfa.failures += 1;
        if locked_until.is_some() {
            stored.mfa.locked_until = locked_until;
        }
        if let Some((jti, expires_at)) = token {
            let entry = state
                .mfa_tokens
                .entry(jti.to_owned())
                .or_insert((0, false, expires_at));
            if entry.2 <= now {
                *entry = (0, false, expires_at);
            }
            entry.0 += 1;
        }
        Ok(Charged::Done)
    }
}

impl ClientStore for MemoryStore {
    async fn oauth_client(&self, client_id: &str) -> Result<Option<OAuthClient>, StoreError> {
        Ok(self.state().clients.get(client_id).cloned())
    }

    async fn add_client(&self, client: &OAuthClient) -> Result<bool, StoreError> {
        let mut state = self.state();
        if state.clients.contains_key(&client.client_id) {
            return Ok(false);
        }
        state
            .clients
            .insert(client.client_id.clone(), client.clone());
        Ok(true)
    }

    async fn set_client_secret(
        &self,
        client_id: &str,
        secret_hash: &str,
    ) -> Result<bool, StoreError> {
        match self.state().clients.get_mut(client_id) {
            Some(client) if client.is_confidential() => {
                client.secret_hash = Some(secret_hash.to_owned());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn remove_client(&self, client_id: &str) -> Result<bool, StoreError> {
        Ok(self.state().clients.remove(client_id).is_some())
    }

    async fn clients(&self) -> Result<Vec<OAuthClient>, StoreError> {
        let mut all: Vec<OAuthClient> = self.state().clients.values().cloned().collect();
        all.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(all)
    }

    async fn put_code(&self, code: &AuthorizationCode) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.codes.contains_key(&code.id) {
            return Err(StoreError::Internal("an authorization code clash".into()));
        }
        state.codes.insert(code.id.clone(), (code.clone(), false));
        Ok(())
    }

    async fn give_consent(
        &self,
        user_id: u64,
        consent: &Consent,
        replacing: Option<i64>,
    ) -> Result<bool, StoreError> {
        let mut state = self.state();
        let Some(user) = state.users.get_mut(&user_id) else {
            return Ok(false);
        };
        let held = user
            .consents
            .iter()
            .position(|c| c.client_id == consent.client_id);
        match (held, replacing) {
            (None, None) => user.consents.push(consent.clone()),
            (Some(i), Some(since)) if user.consents[i].granted_at == since => {
                user.consents[i] = consent.clone();
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    async fn withdraw_consent(&self, user_id: u64, client_id: &str) -> Result<bool, StoreError> {
        let mut state = self.state();
        let Some(user) = state.users.get_mut(&user_id) else {
            return Ok(false);
        };
        let before = user.consents.len();
        user.consents.retain(|c| c.client_id != client_id);
        Ok(user.consents.len() < before)
    }

    async fn redeem_code(&self, id: &str, now: i64) -> Result<Redemption, StoreError> {
        let mut state = self.state();
        Ok(match state.codes.get_mut(id) {
            Some((code, _)) if code.expires_at <= now => Redemption::Unknown,
            Some((code, true)) => Redemption::Reused(code.clone()),
            Some((code, used)) => {
                *used = true;
                Redemption::Fresh(code.clone())
            }
            None => Redemption::Unknown,
        })
    }
}

impl KeyStore for MemoryStore {
    async fn put_key(&self, key: &AccountKey) -> Result<(), StoreError> {
        self.state().keys.insert(key.id.clone(), key.clone());
        Ok(())
    }

    async fn key(&self, id: &str) -> Result<Option<AccountKey>, StoreError> {
        let now = now();
        Ok((self.state().keys.get(id))
            .filter(|k| k.expires_at > now)
            .cloned())
    }

    async fn use_key(&self, key: &AccountKey, then: &KeyUse, now: i64) -> Result<bool, StoreError> {
        let mut state = self.state();
        let live = state.keys.get(&key.id).is_some_and(|k| {
            k.expires_at > now
                && k.user_id == key.user_id
                && (key.secret_hash.is_none() || k.secret_hash == key.secret_hash)
                && (key.password_mark.is_none() || k.password_mark == key.password_mark)
        });
        let Some(user) = state.users.get(&key.user_id).filter(|_| live) else {
            return Ok(false);
        };
        let mut user = user.clone();
        match then {
            KeyUse::VerifyEmail if user.email == key.email => user.email_verified = true,
            KeyUse::ResetPassword { old_hash, new_hash } if &user.password == old_hash => {
                user.password = new_hash.clone();
                user.generation += 1;
            }
            KeyUse::ChangeEmail { old } if &user.email == old => {
                let new = email_identity(&key.email);
                if state.emails.get(&new).is_some_and(|id| *id != user.id) {
                    return Ok(false);
                }
                state.emails.remove(&email_identity(old));
                state.emails.insert(new, user.id);
                user.email = key.email.clone();
                user.email_verified = true;
            }
            _ => return Ok(false),
        }
        state.keys.remove(&key.id);
        state.users.insert(user.id, user);
        Ok(true)
    }
}

impl PasskeyStore for MemoryStore {
    async fn add_passkey(&self, user: &User, passkey: &StoredPasskey) -> Result<Added, StoreError> {
        let mut state = self.state();
        if state.credentials.contains_key(&passkey.id) {
            return Ok(Added::Taken);
        }
        let Some(stored) = state
            .users
            .get_mut(&user.id)
            .filter(|u| u.generation == user.generation)
        else {
            return Ok(Added::UserChanged);
        };
        if stored.passkeys.len() >= MAX_PASSKEYS {
            return Ok(Added::Full);
        }
        stored.passkeys.push(passkey.clone());
        state.credentials.insert(passkey.id.clone(), user.id);
        Ok(Added::Done)
    }

    async fn reserve_user_id(&self) -> Result<u64, StoreError> {
        let mut state = self.state();
        state.last_id += 1;
        Ok(state.last_id)
    }

    async fn create_user_with_passkey(
        &self,
        user: &User,
        passkey: &StoredPasskey,
    ) -> Result<(), CreateUserError> {
        let mut state = self.state();
        let identity = email_identity(&user.email);
        if state.usernames.contains_key(&user.username) {
            return Err(CreateUserError::UsernameTaken);
        }
        if !user.email.is_empty() && state.emails.contains_key(&identity) {
            return Err(CreateUserError::EmailTaken);
        }
        if state.credentials.contains_key(&passkey.id) {
            return Err(CreateUserError::CredentialTaken);
        }
        if state.users.contains_key(&user.id) {
            let taken = format!("reserved user id {} is taken", user.id);
            return Err(StoreError::Internal(taken).into());
        }
        let mut user = user.clone();
        user.passkeys = vec![passkey.clone()];
        state.usernames.insert(user.username.clone(), user.id);
        if !user.email.is_empty() {
            state.emails.insert(identity, user.id);
        }
        state.credentials.insert(passkey.id.clone(), user.id);
        state.users.insert(user.id, user);
        Ok(())
    }

    async fn rename_passkey(&self, user_id: u64, id: &str, name: &str) -> Result<bool, StoreError> {
        let mut state = self.state();
        let found = (state.users.get_mut(&user_id))
            .and_then(|u| u.passkeys.iter_mut().find(|p| p.id == id));
        Ok(found.map(|p| p.name = name.to_owned()).is_some())
    }

    async fn remove_passkey(&self, user_id: u64, id: &str) -> Result<bool, StoreError> {
        let mut state = self.state();
        let Some(user) = state.users.get_mut(&user_id) else {
            return Ok(false);
        };
        let before = user.passkeys.len();
        user.passkeys.retain(|p| p.id != id);
        if user.passkeys.len() == before {
            return Ok(false);
        }
        state.credentials.remove(id);
        Ok(true)
    }

    async fn passkey_owner(&self, id: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.state().credentials.get(id).copied())
    }

    async fn use_passkey(&self, user_id: u64, used: &PasskeyUse) -> Result<bool, StoreError> {
        let mut state = self.state();
        let passkeys = state.users.get_mut(&user_id).map(|u| &mut u.passkeys);
        Ok(passkeys.is_some_and(|all| all.iter_mut().any(|p| used.apply(p))))
    }

    async fn put_ceremony(&self, ceremony: &Ceremony) -> Result<(), StoreError> {
        (self.state().ceremonies).insert(ceremony.challenge.clone(), ceremony.clone());
        Ok(())
    }

    async fn take_ceremony(
        &self,
        challenge: &str,
        kind: CeremonyKind,
        now: i64,
    ) -> Result<Option<Ceremony>, StoreError> {
        let mut state = self.state();
        let live =
            (state.ceremonies.get(challenge)).is_some_and(|c| c.kind == kind && c.expires_at > now);
        Ok(live.then(|| state.ceremonies.remove(challenge)).flatten())
    }
}
