//! Doctors' own declarations, the use case: storing one (audited; the matching uses it at once),
//! and what the public site must show of every doctor once declarations, pauses and places used
//! this year are counted.

use chrono::NaiveDate;
use territory::Overlay;

use std::collections::HashMap;

use crate::app::App;
use crate::domain::dates::local_date;
use crate::domain::declarations::{
    self, ConfirmationAsk, ConfirmationStep, Declaration, Source, confirmation_step,
};
use crate::domain::lifecycle::AuditEntry;
use crate::domain::matching::{self, Loads};
use crate::mail::Mailer;
use crate::mails;
use crate::signed::random_id;
use crate::store::{RateLimit, Store, StoreError};

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
        let declaration =
            Declaration::from_declared(id, &doctor.declared(&current.communes), by, now);
        self.declare(&declaration, actor).await
    }

    /// Mails doctor's standing link to `email` if it is the address of a doctor of the published
    /// roster and the address has not had [`declarations::LINK_MAILS_PER_HOUR`] this hour. Says
    /// nothing either way: the page answers the same. `Err` only when the store failed.
    pub async fn request_standing_link(&self, email: &str, now: i64) -> Result<(), StoreError> {
        let territory = self.territory();
        let email = email.trim();
        let Some(doctor) = territory
            .doctors
            .iter()
            .find(|d| !d.email.is_empty() && d.email.trim().eq_ignore_ascii_case(email))
        else {
            tracing::info!("demande de lien médecin pour une adresse non inscrite");
            return Ok(());
        };
        let link = self.standing_link(&doctor.id, now);
        let mail = mails::doctor_link(
            &self.view(),
            &format!("lien-medecin-{}", random_id(16)),
            doctor.email.trim(),
            &link,
        );
        let limit = RateLimit {
            key: self
                .keys
                .pseudonym("doctor-link-mail", &doctor.email.trim().to_lowercase()),
            window: now / 3600,
            limit: declarations::LINK_MAILS_PER_HOUR,
        };
        let audit = AuditEntry {
            at: now,
            actor: "public".into(),
            action: "standing-link-sent".into(),
            object: format!("doctor:{}", doctor.id),
        };
        if self.store.queue_mail(&mail, &audit, &[limit], now).await? {
            self.mail_waiting.notify_one();
            tracing::info!(doctor = %doctor.id, "lien médecin envoyé");
        } else {
            tracing::info!("lien médecin non envoyé : limite horaire atteinte");
        }
        Ok(())
    }

    /// Which of his row and his own declaration is current for doctor `id`, as last read.
    pub fn declaration_source(&self, id: &str) -> Source {
        declarations::source_of(&self.published().territory, &self.declarations(), id)
    }

    /// What the public site must show of doctors beyond the published rows
    /// ([`declarations::public_overlay`]), as of `today`.
    pub async fn public_overlay(&self, today: NaiveDate) -> Result<Overlay, StoreError> {
        let current = self.current_territory().await;
        let loads = self.store.doctor_loads(matching::period_of(today)).await?;
        let loads = Loads::new(&current, &loads);
        Ok(declarations::public_overlay(
            &self.published().territory,
            &current,
            &loads,
            today,
        ))
    }

    /// The jobs' part: asks each doctor whose declaration is stale to confirm it, and reminds
    /// those asked [`territory::model::REMINDER_AFTER_DAYS`] ago without an answer
    /// ([`confirmation_step`]). Each mail is queued with the record of it, once even if two
    /// runs race. Returns (asked, reminded).
    pub async fn ask_confirmations(&self, now: i64) -> Result<(usize, usize), StoreError> {
        let territory = self.current_territory().await;
        let asks: HashMap<String, ConfirmationAsk> = self
            .store
            .confirmation_asks()
            .await?
            .into_iter()
            .map(|a| (a.doctor.clone(), a))
            .collect();
        let (mut asked, mut reminded) = (0, 0);
        for doctor in &territory.doctors {
            let last = asks.get(&doctor.id);
            let Some(step) = confirmation_step(doctor, last, now) else {
                continue;
            };
            let (ask, expected, reminder) = match step {
                ConfirmationStep::Ask => (
                    ConfirmationAsk {
                        doctor: doctor.id.clone(),
                        about: doctor.updated,
                        asked_at: now,
                        reminded_at: None,
                    },
                    last,
                    false,
                ),
                ConfirmationStep::Remind => {
                    let Some(last) = last else { continue };
                    let ask = ConfirmationAsk {
                        reminded_at: Some(now),
                        ..last.clone()
                    };
                    (ask, Some(last), true)
                }
            };
            let deadline = doctor.proposed_until();
            let cpts = territory.cpts_of_doctor(doctor).map(|c| c.id.as_str());
            let from = mails::FromCpts::of(&territory, cpts);
            let mail = mails::confirm_availability(
                &self.view(),
                doctor,
                from,
                &self.standing_link(&doctor.id, now),
                deadline,
                reminder,
            );
            let audit = AuditEntry {
                at: now,
                actor: "system".into(),
                action: if reminder {
                    "confirmation reminded"
                } else {
                    "confirmation asked"
                }
                .into(),
                object: format!("doctor:{}", doctor.id),
            };
            if self
                .store
                .ask_confirmation(&ask, expected, &mail, &audit)
                .await?
            {
                tracing::info!(doctor = %doctor.id, reminder, "confirmation demandée");
                if reminder {
                    reminded += 1;
                } else {
                    asked += 1;
                }
            }
        }
        if asked + reminded > 0 {
            self.mail_waiting.notify_one();
        }
        Ok((asked, reminded))
    }

    /// The doctors of `cpts` no longer proposed because they did not confirm their stale
    /// declaration in time ([`territory::Doctor::is_lapsed`]), for the coordinator to call.
    pub fn unconfirmed_doctors(&self, cpts: Option<&str>, now: i64) -> Vec<territory::Doctor> {
        let territory = self.territory();
        let today = local_date(now);
        territory
            .doctors
            .iter()
            .filter(|d| d.is_lapsed(today))
            .filter(|d| territory.cpts_of_doctor(d).map(|c| c.id.as_str()) == cpts)
            .cloned()
            .collect()
    }
}
