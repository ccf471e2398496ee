//! What a signed-in staff member may see.

/// The requests a staff member sees: those of one CPTS (its coordinator), or every request of the
/// territory, inside a CPTS or outside all of them (the territory's coordination, the
/// telesecretariat).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Cpts(String),
    Territory,
}

impl Scope {
    /// Whether a request of CPTS `cpts` (`None`: outside every CPTS) is within this scope.
    pub fn allows(&self, cpts: Option<&str>) -> bool {
        match self {
            Scope::Cpts(id) => cpts == Some(id.as_str()),
            Scope::Territory => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Scope;

    #[test]
    fn a_cpts_sees_its_own_requests_and_the_territory_sees_all() {
        let rethel = Scope::Cpts("rethelois".into());
        assert!(rethel.allows(Some("rethelois")));
        assert!(!rethel.allows(Some("vouzinois")));
        assert!(!rethel.allows(None));
        assert!(Scope::Territory.allows(None));
        assert!(Scope::Territory.allows(Some("vouzinois")));
    }
}
