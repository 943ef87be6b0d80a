//! A user's remembered consent to a third-party OAuth client (django-oauth-
//! toolkit's "approval", Keycloak's "user consent"): which client, what
//! scope, since when. Given on the consent page, listed and withdrawn at
//! `oauth/grants`; kept on the user's item (`oauth_grant#<client_id>`),
//! so the checks that read the user read it at no extra cost.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub client_id: String,
    /// The client's name when it was given (what `oauth/grants` shows).
    pub name: String,
    /// The scope consented to, space-separated.
    pub scope: String,
    /// Epoch seconds when first given (widening the scope keeps it): a
    /// token issued before it, under a consent since withdrawn, is not
    /// renewed.
    pub granted_at: i64,
}

impl Consent {
    /// Whether it covers every scope of `scope` (space-separated).
    pub fn covers(&self, scope: &str) -> bool {
        let given: Vec<&str> = self.scope.split(' ').collect();
        scope.split(' ').all(|s| s.is_empty() || given.contains(&s))
    }

    /// Whether it was given by `issued_at` (epoch seconds): what was issued
    /// under it (or under a consent it continues) stands.
    pub fn stands_for(&self, issued_at: i64) -> bool {
        self.granted_at <= issued_at
    }

    /// It widened to `scope` too (its first grant's time kept).
    pub fn widened(&self, name: &str, scope: &str) -> Consent {
        let mut all: Vec<&str> = self.scope.split(' ').collect();
        all.extend(scope.split(' ').filter(|s| !s.is_empty()));
        let mut unique: Vec<&str> = Vec::new();
        for s in all {
            if !unique.contains(&s) {
                unique.push(s);
            }
        }
        Consent {
            client_id: self.client_id.clone(),
            name: name.to_owned(),
            scope: unique.join(" "),
            granted_at: self.granted_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consent(scope: &str) -> Consent {
        Consent {
            client_id: "c".into(),
            name: "Grafana".into(),
            scope: scope.into(),
            granted_at: 100,
        }
    }

    #[test]
    fn a_consent_covers_its_scopes_and_widens_keeping_its_time() {
        let c = consent("openid profile");
        assert!(c.covers("openid"));
        assert!(c.covers("profile openid"));
        assert!(!c.covers("openid email"));
        let wider = c.widened("Grafana 2", "email openid");
        assert_eq!(wider.scope, "openid profile email");
        assert_eq!(wider.granted_at, 100);
        assert_eq!(wider.name, "Grafana 2");
        assert!(wider.stands_for(100) && !wider.stands_for(99));
    }
}
