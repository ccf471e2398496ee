//! Doctors' own declarations, the use case: storing one (audited; the matching uses it at once),
//! and what the public site must show of every doctor once declarations, pauses and places used
//! this year are counted.

use chrono::NaiveDate;
use territory::Declared;

use crate::app::App;
use crate::domain::declarations::{self, Declaration, Source};
use crate::domain::lifecycle::AuditEntry;
use crate::domain::matching::{self, Loads};
use crate::mail::Mailer;
use crate::store::{Store, StoreError};

/// Why a declaration was not stored.
#[derive(Debug)]
pub enum DeclareError {
    /// No doctor of the published roster has this id.
    UnknownDoctor,
    Store(StoreError),
}

impl std::fmt::Display for DeclareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeclareError::UnknownDoctor => f.write_str("médecin inconnu de la liste publiée"),
            DeclareError::Store(e) => e.fmt(f),
        }
    }
}

impl<S: Store, M: Mailer> App<S, M> {
    /// Stores `declaration` as its doctor's current one, audited as made by `actor`
    /// (`doctor:<id>` through his standing link, `staff:<id>`). The matching uses it from the
    /// next request on; the public site shows it at its next build, which [`App::doctors_changed`]
    /// asks for.
    pub async fn declare(
        &self,
        declaration: &Declaration,
        actor: &str,
    ) -> Result<(), DeclareError> {
        // The roster as published, and the doctors accepted since (their offers to join).
        if self.territory().doctor(&declaration.doctor).is_none() {
            return Err(DeclareError::UnknownDoctor);
        }
        let audit = AuditEntry {
            at: declaration.declared_at,
            actor: actor.to_string(),
            action: "declared".into(),
            object: format!("doctor:{}", declaration.doctor),
        };
        self.store
            .declare(declaration, &audit)
            .await
            .map_err(DeclareError::Store)?;
        tracing::info!(doctor = %declaration.doctor, "déclaration enregistrée");
        self.current_territory().await;
        self.doctors_changed.notify_one();
        Ok(())
    }

    /// Doctor `id` says nothing changed (« rien n'a changé »): his current declaration, whichever
    /// its source, is stored again dated `now`, which makes it fresh for three more months.
    pub async fn confirm_declaration(
        &self,
        id: &str,
        actor: &str,
        now: i64,
    ) -> Result<(), DeclareError> {
        let current = self.current_territory().await;
        let Some(doctor) = current.doctor(id) else {
            return Err(DeclareError::UnknownDoctor);
        };
        let by = if actor.starts_with("staff:") {
            actor
        } else {
            "doctor"
        };
        let declaration = Declaration::from_declared(id, &doctor.declared(), by, now);
        self.declare(&declaration, actor).await
    }

    /// Which of his row and his own declaration is current for doctor `id`, as last read.
    pub fn declaration_source(&self, id: &str) -> Source {
        declarations::source_of(&self.published().territory, &self.declarations(), id)
    }

    /// What the public site must show for each doctor whose public availability differs from
    /// his published row ([`declarations::public_declarations`]), as of `today`.
    pub async fn public_declarations(
        &self,
        today: NaiveDate,
    ) -> Result<Vec<(String, Declared)>, StoreError> {
        let current = self.current_territory().await;
        let loads = self.store.doctor_loads(matching::period_of(today)).await?;
        let loads = Loads::new(&current, &loads);
        Ok(declarations::public_declarations(
            &self.published().territory,
            &current,
            &loads,
            today,
        ))
    }
}
