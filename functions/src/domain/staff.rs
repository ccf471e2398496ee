//! Staff: what a signed-in member of staff may see (their scope), and the server-side session
//! that signs them in. Pure types: the roster itself is the territory's ([`territory::Staff`]).

use territory::{Staff, StaffRole};

/// How long a session lasts from sign-in: a working day.
pub const SESSION_SECONDS: i64 = 10 * 3600;
/// How long an emailed sign-in link stays valid.
pub const SIGN_IN_LINK_SECONDS: i64 = 15 * 60;
/// Sign-in links mailed to one address per hour, at most.
pub const SIGN_IN_MAILS_PER_HOUR: u32 = 5;

/// Which requests a member of staff may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Those of one CPTS (its id).
    Cpts(String),
    /// All of them: every CPTS and the communes outside any.
    Territory,
}

impl Scope {
    /// Whether a request of `cpts` (`None`: outside every CPTS) is within this scope.
    pub fn allows(&self, cpts: Option<&str>) -> bool {
        match self {
            Scope::Territory => true,
            Scope::Cpts(own) => cpts == Some(own.as_str()),
        }
    }

    /// The scope of `role`; `None` for a role that sees no request (communication).
    pub fn of(role: &StaffRole) -> Option<Self> {
        match role {
            StaffRole::Coordinator { cpts } => Some(Scope::Cpts(cpts.clone())),
            StaffRole::TerritoryCoordination | StaffRole::Telesecretariat => Some(Scope::Territory),
            StaffRole::Communication => None,
        }
    }
}

/// The audit actor of a member of staff: `staff:<id>`, never their email.
pub fn actor(staff: &Staff) -> String {
    format!("staff:{}", staff.id)
}

/// A signed-in browser, as stored: never the cookie's secret, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 (hex) of the cookie's secret.
    pub id_hash: String,
    /// The staff member's id.
    pub staff: String,
    pub created_at: i64,
    /// Refused from this instant on, even if still stored.
    pub expires_at: i64,
    /// SHA-256 (hex) of the browser's User-Agent at sign-in.
    pub agent_hash: String,
    /// The token every form of this session carries.
    pub csrf: String,
}

impl Session {
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        let sedan = Scope::Cpts("sedanais".into());
        assert!(sedan.allows(Some("sedanais")));
        assert!(!sedan.allows(Some("rethelois")));
        assert!(!sedan.allows(None));
        assert!(Scope::Territory.allows(None));
        assert!(Scope::Territory.allows(Some("rethelois")));
        assert_eq!(Scope::of(&StaffRole::Communication), None);
        assert_eq!(
            Scope::of(&StaffRole::Telesecretariat),
            Some(Scope::Territory)
        );
        assert_eq!(
            Scope::of(&StaffRole::Coordinator {
                cpts: "sedanais".into()
            }),
            Some(sedan)
        );
    }
}
