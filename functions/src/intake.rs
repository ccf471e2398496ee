//! The staff intake use case: a request taken by phone or on paper by a signed-in staff member.
//! The person's answers are read and checked as on the public form (the same parser); the staff
//! form adds the channel, the caller, the date of the call and a short note. No rate limit and no
//! minimum fill time: the staff member is signed in. A double submit is still stored once (the
//! form's signed nonce), and the request then goes through the same proposal as a web request.

use crate::app::App;
use crate::domain::answers::Answers;
use crate::domain::dates::local_date;
use crate::domain::intake::{self, StaffEntry};
use crate::domain::lifecycle::Request;
use crate::domain::registration::{self, FieldError, Parsed};
use crate::mail::Mailer;
use crate::register::{Entry, Opened};
use crate::signed::random_id;
use crate::store::{Store, StoreError};

/// Token action of the staff intake form.
const INTAKE_ACTION: &str = "intake";
/// How long a staff form stays valid: a long call, a pile of paper forms.
pub const INTAKE_TOKEN_SECONDS: i64 = 12 * 3600;

/// What became of a staff entry.
#[derive(Debug)]
pub enum IntakeOutcome {
    /// Stored now; a doctor was proposed if one could be.
    Stored(Box<Request>),
    /// This form was already sent (a double click): nothing written, the first reference.
    Duplicate(String),
    /// Fields to correct, in the form's order (the staff fields first); `token` is the one to
    /// send the form again with.
    Invalid {
        errors: Vec<FieldError>,
        token: String,
    },
    /// Valid, but sent with an expired or unusable token: confirm once with this one.
    Confirm { token: String },
    /// The store could not be reached: nothing written.
    Unavailable(StoreError),
}

impl<S: Store, M: Mailer> App<S, M> {
    /// A fresh staff form token.
    pub fn intake_token(&self, now: i64) -> String {
        self.keys
            .sign(INTAKE_ACTION, &random_id(16), now + INTAKE_TOKEN_SECONDS)
    }

    /// Registers the staff form `answers` entered by the staff member `staff` (his id) at `now`.
    /// Logs (span `intake`) carry the reference, the CPTS id and the staff id, never an answer.
    #[tracing::instrument(name = "intake", skip(self, answers, now), fields(cpts))]
    pub async fn register_by_staff(
        &self,
        staff: &str,
        answers: &Answers,
        now: i64,
    ) -> IntakeOutcome {
        let today = local_date(now);
        let token = answers.get("token").trim().to_string();
        let nonce = self
            .keys
            .verify(&token, INTAKE_ACTION, now)
            .ok()
            .map(|claims| claims.object);
        let token = if nonce.is_some() {
            token
        } else {
            self.intake_token(now)
        };
        let mut errors = Vec::new();
        let staff_entry = match intake::parse(answers, staff, today) {
            Ok(e) => Some(e),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let territory = self.territory();
        let registration = match registration::parse(answers, &territory, today) {
            Parsed::Valid(r) => Some(r),
            Parsed::NotEligible => {
                errors.push(FieldError {
                    field: "gp_status",
                    message: "Cette personne a un médecin traitant et veut seulement en changer : ce service n'est pas pour elle. Rien n'est enregistré.".into(),
                });
                None
            }
            Parsed::Invalid(e) => {
                errors.extend(e);
                None
            }
        };
        let (Some(StaffEntry { channel, intake }), Some(registration)) =
            (staff_entry, registration)
        else {
            return IntakeOutcome::Invalid { errors, token };
        };
        let Some(nonce) = nonce else {
            return IntakeOutcome::Confirm { token };
        };
        let entry = Entry {
            registration: *registration,
            channel,
            intake: Some(intake),
            actor: format!("staff:{staff}"),
        };
        match self.open_request(entry, &nonce, &[], now).await {
            Ok(Opened::New(request)) => IntakeOutcome::Stored(request),
            Ok(Opened::Duplicate(first)) => IntakeOutcome::Duplicate(first),
            Ok(Opened::Limited) => unreachable!("a staff entry has no rate limit"),
            Err(e) => IntakeOutcome::Unavailable(e),
        }
    }
}
