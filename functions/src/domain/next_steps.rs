//! What happens once a request is stored and once a doctor accepts it, as every text says it:
//! the patient's mail, the thank-you page and the site's pages (`{{ apres_accord }}`,
//! `{{ apres_demande }}`) read these sentences, so no text says that someone else calls.
//!
//! The flow they state: the coordinators are mailed each new request and call the person back
//! before they validate a doctor (`mails::new_request`); the doctor who accepts is shown the
//! person's phone number and asked to call (`doctor_accepted.html`); the person is told by mail
//! (`mails::to_patient`) or, without an address, by the coordinators (`mails::doctor_accepted`).

/// After a request is stored.
pub const AFTER_REQUEST: &str = "La coordination de la CPTS reçoit votre demande. Elle vous appelle au numéro que vous avez donné pour vérifier votre demande avec vous.";

/// Who calls the patient once a doctor accepts.
pub const PRACTICE_CALLS: &str = "Son cabinet vous appelle pour un premier rendez-vous.";

/// Once a doctor accepts: who calls whom, and how the person learns the doctor's name.
pub const AFTER_ACCEPTANCE: &str = "Quand un médecin accepte votre demande, son cabinet vous appelle pour un premier rendez-vous. Vous recevez aussi son nom par courriel si vous avez donné une adresse. Sinon, la coordination vous appelle pour vous le dire.";

/// The placeholders of the site's pages that say them.
pub fn named() -> [(&'static str, &'static str); 2] {
    [
        ("apres_demande", AFTER_REQUEST),
        ("apres_accord", AFTER_ACCEPTANCE),
    ]
}
