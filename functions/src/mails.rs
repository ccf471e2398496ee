//! Every mail the handler writes, worded in one place. A mail holds a reference, a commune, a
//! date, a distance and signed links — never a name, phone number, birth date or health fact
//! (tests read every mail the handler writes).

use serde::Serialize;

use crate::domain::dates::unix_date_fr;
use crate::domain::lifecycle::{self, Mail, Proposal};
use crate::domain::matching;
use crate::links::Link;
use crate::view::View;

/// The template of every mail's HTML part.
pub const TEMPLATE: &str = "mail.html";

/// The coordinators of a request's CPTS, and the two links every mail to them carries.
pub struct ToCoordinators {
    pub to: Vec<String>,
    /// The request's page.
    pub request: String,
    /// The CPTS's overview.
    pub overview: String,
}

/// Something that happened to a request, told to its coordinators in one mail together with
/// what follows (another doctor proposed, or the request waits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    pub subject: String,
    /// One sentence.
    pub what: String,
}

/// "Label (lien valable N jours)".
fn labelled(label: &str, link: Link) -> String {
    match link.validity_fr() {
        Some(validity) => format!("{label} ({validity})"),
        None => label.to_string(),
    }
}

/// What every mail ends with.
const PRIVACY: &str = "Ce courriel ne contient volontairement aucune donnée personnelle.";

/// What `mail.html` reads as `mail`.
#[derive(Serialize)]
struct MailView<'a> {
    subject: &'a str,
    /// Each paragraph as its lines.
    paragraphs: Vec<Vec<&'a str>>,
    links: Vec<MailLink<'a>>,
    privacy: &'a str,
}

#[derive(Serialize)]
struct MailLink<'a> {
    label: &'a str,
    url: &'a str,
}

/// A short mail in French: greeting, `paragraphs`, then each link as (label, address) — on its own
/// line in the text part, as a link in the HTML part (`mail.html`).
fn compose(
    view: &View,
    id: &str,
    to: Vec<String>,
    subject: String,
    paragraphs: &[String],
    links: &[(String, &str)],
) -> Mail {
    let mut text = String::from("Bonjour,\n\n");
    for p in paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
    }
    for (label, url) in links {
        text.push_str(&format!("{label} :\n{url}\n\n"));
    }
    text.push_str(PRIVACY);
    text.push('\n');
    let mut context = tera::Context::new();
    context.insert(
        "mail",
        &MailView {
            subject: &subject,
            paragraphs: paragraphs.iter().map(|p| p.lines().collect()).collect(),
            links: links
                .iter()
                .map(|(label, url)| MailLink { label, url })
                .collect(),
            privacy: PRIVACY,
        },
    );
    let html = view.render(TEMPLATE, &context);
    Mail {
        id: id.to_string(),
        to,
        subject,
        text,
        html,
        reply_to: Vec::new(),
        from_name: None,
    }
}

/// A mail to the coordinators, with the links to the request and to the overview.
fn to_coordinators(
    view: &View,
    c: ToCoordinators,
    id: &str,
    subject: String,
    paragraphs: &[String],
) -> Mail {
    compose(
        view,
        id,
        c.to,
        subject,
        paragraphs,
        &[
            (
                labelled("Voir la demande et décider", Link::Request),
                &c.request,
            ),
            (
                labelled("Tableau de bord de la CPTS", Link::Overview),
                &c.overview,
            ),
        ],
    )
}

/// A new request was registered.
pub fn new_request(
    view: &View,
    c: ToCoordinators,
    reference: &str,
    commune: &str,
    date_fr: &str,
) -> Mail {
    compose(
        view,
        &format!("{reference}-coordination"),
        c.to,
        format!("Nouvelle demande de médecin traitant — réf. {reference}"),
        &[format!(
            "Une nouvelle demande de médecin traitant a été enregistrée.\n\nRéférence : {reference}\nCommune : {commune}\nDate : {date_fr}"
        )],
        &[
            (
                labelled(
                    "Voir la demande, rappeler la personne et valider le médecin proposé",
                    Link::Request,
                ),
                &c.request,
            ),
            (
                labelled("Tableau de bord de la CPTS", Link::Overview),
                &c.overview,
            ),
        ],
    )
}

/// A staff member's sign-in link (`id`: the mail's id). Nothing else: not even the name.
pub fn sign_in(view: &View, id: &str, to: &str, link: &str, minutes: i64) -> Mail {
    compose(
        view,
        id,
        vec![to.to_string()],
        "Votre lien de connexion à l'espace de coordination".to_string(),
        &[
            format!(
                "Voici votre lien pour vous connecter à l'espace de coordination. Il sert une seule fois, pendant {minutes} minutes."
            ),
            "Vous n'avez rien demandé ? Ne cliquez pas : personne ne peut se connecter sans ce lien.".to_string(),
        ],
        &[("Se connecter".to_string(), link)],
    )
}

/// `doctor`'s declaration is more than three months old: he is asked to confirm it (`reminder`:
/// the second time), by `deadline` (the last day he is proposed without confirming), through his
/// standing `link`. To his address, from his CPTS, answering to its coordinators (`from`).
pub fn confirm_availability(
    view: &View,
    doctor: &territory::Doctor,
    from: FromCpts,
    link: &str,
    deadline: chrono::NaiveDate,
    reminder: bool,
) -> Mail {
    use territory::dates::french_long;
    let declared_on = doctor.updated;
    let (to, doctor) = (doctor.email.as_str(), doctor.id.as_str());
    let (id, subject) = if reminder {
        (
            format!("confirmation-{doctor}-{declared_on}-rappel"),
            "Rappel : votre disponibilité est-elle toujours la même ?",
        )
    } else {
        (
            format!("confirmation-{doctor}-{declared_on}"),
            "Votre disponibilité est-elle toujours la même ?",
        )
    };
    let mail = compose(
        view,
        &id,
        vec![to.to_string()],
        subject.to_string(),
        &[
            format!(
                "Vous avez déclaré votre disponibilité le {}. Tous les trois mois, nous vous demandons de la confirmer.",
                french_long(declared_on)
            ),
            "Rien n'a changé ? Ouvrez votre page et cliquez sur « Rien n'a changé ». Un clic suffit.".to_string(),
            "Quelque chose a changé ? Modifiez votre déclaration sur la même page.".to_string(),
            format!(
                "Sans réponse après le {}, nous ne vous proposons plus de patients. La coordination vous appellera.",
                french_long(deadline)
            ),
            "Pour toute question, répondez à ce courriel : il arrive à la coordination de votre CPTS.".to_string(),
        ],
        &[(labelled("Ouvrir ma page", Link::Doctor), link)],
    );
    from.sign(mail)
}

/// A doctor's standing link, which he asked for on `/medecins/`: the link, and no name.
pub fn doctor_link(view: &View, id: &str, to: &str, link: &str) -> Mail {
    compose(
        view,
        id,
        vec![to.to_string()],
        "Votre lien vers votre déclaration de disponibilité".to_string(),
        &[
            "Voici votre lien personnel. Il ouvre votre page : votre disponibilité déclarée, ce que le site public en montre, et vos propositions en cours. Vous pouvez y changer votre déclaration, ou confirmer que rien n'a changé.".to_string(),
            "Gardez ce courriel et ne le transférez pas : ce lien permet de changer votre déclaration.".to_string(),
            "Vous n'avez rien demandé ? Ne cliquez pas : rien ne change sans ce lien.".to_string(),
        ],
        &[(labelled("Ma déclaration", Link::Doctor), link)],
    )
}

/// A doctor offered his availability through the joining form (offer `offer`): the
/// coordinators of his commune's CPTS are told to look at their workspace. No name, no commune.
pub fn join_offered(view: &View, offer: &str, to: Vec<String>, workspace: &str) -> Mail {
    compose(
        view,
        &format!("rejoindre-{offer}"),
        to,
        "Un médecin propose ses disponibilités".to_string(),
        &[
            "Un médecin de votre territoire propose de prendre de nouveaux patients avec la CPTS.".to_string(),
            "Connectez-vous à l'espace de coordination pour lire sa proposition, puis l'accepter ou la refuser.".to_string(),
        ],
        &[("Ouvrir l'espace de coordination".to_string(), workspace)],
    )
}

/// A doctor's offer to join was accepted: his standing link (`link`), to keep.
pub fn joined(view: &View, offer: &str, to: &str, link: &str, reply_to: Vec<String>) -> Mail {
    let mut mail = compose(
        view,
        &format!("bienvenue-{offer}"),
        vec![to.to_string()],
        "Votre proposition est acceptée".to_string(),
        &[
            "La coordination a accepté votre proposition : vous faites maintenant partie des médecins de la CPTS.".to_string(),
            "Voici votre lien personnel. Gardez ce courriel. Avec ce lien, vous pouvez changer vos disponibilités à tout moment.".to_string(),
            "Une question ? Répondez à ce courriel : il arrive à la coordination.".to_string(),
        ],
        &[(labelled("Mes disponibilités", Link::Doctor), link)],
    );
    mail.reply_to = reply_to;
    mail
}

/// A doctor is proposed for request `reference` (its `number`-th proposal), received at
/// `received_at`.
pub fn doctor_proposed(
    view: &View,
    c: ToCoordinators,
    reference: &str,
    number: usize,
    commune: &str,
    received_at: i64,
) -> Mail {
    to_coordinators(
        view,
        c,
        &format!("{reference}-{number}-proposition"),
        format!("Médecin proposé à valider — réf. {reference}"),
        &[format!(
            "Un médecin est proposé pour la demande {reference} ({commune}), reçue le {}. Ouvrez la demande pour voir pourquoi ce médecin, puis validez ou demandez-en un autre.",
            unix_date_fr(received_at)
        )],
    )
}

/// `event` happened, and another doctor is proposed (`another`) or the request waits.
pub fn after(view: &View, c: ToCoordinators, event: &Event, another: bool) -> Mail {
    let what = &event.what;
    let next = if another {
        format!(
            "{what} Un autre médecin est proposé : ouvrez la demande pour voir pourquoi lui, puis validez ou demandez-en un autre."
        )
    } else {
        format!(
            "{what} Aucun autre médecin ne peut la prendre pour l'instant : elle est réexaminée automatiquement, et vous recevrez un courriel dès qu'un médecin est proposé."
        )
    };
    to_coordinators(view, c, &event.id, event.subject.clone(), &[next])
}

/// The doctor of proposal `proposal_id` accepted request `reference`.
pub fn doctor_accepted(
    view: &View,
    c: ToCoordinators,
    proposal_id: &str,
    reference: &str,
    commune: &str,
    patient_has_email: bool,
) -> Mail {
    let informed = if patient_has_email {
        "La personne va être prévenue par courriel."
    } else {
        "La personne n'a pas d'adresse électronique : appelez-la pour le lui dire, puis indiquez-le sur la page de la demande."
    };
    to_coordinators(
        view,
        c,
        &format!("{proposal_id}-acceptee"),
        format!("Le médecin a accepté — réf. {reference}"),
        &[format!(
            "Le médecin proposé a accepté la demande {reference} ({commune}). {informed}"
        )],
    )
}

/// The proposal still waits for the coordinators' decision.
pub fn reminder_to_validate(
    view: &View,
    c: ToCoordinators,
    proposal: &Proposal,
    reference: &str,
    commune: &str,
) -> Mail {
    to_coordinators(
        view,
        c,
        &format!("{}-rappel", proposal.id),
        format!("Rappel : médecin proposé à valider — réf. {reference}"),
        &[format!(
            "La proposition pour la demande {reference} ({commune}) attend votre décision jusqu'au {}. Sans décision, un autre médecin sera proposé.",
            unix_date_fr(proposal.deadline)
        )],
    )
}

/// Who a doctor's mail is from: his patient's CPTS, by its name, answering to its coordinators.
pub struct FromCpts {
    /// The CPTS's name (`None` for a commune outside every CPTS: the configured sender's).
    pub name: Option<String>,
    /// Its coordinators' addresses.
    pub reply_to: Vec<String>,
}

impl FromCpts {
    /// From CPTS `cpts` of `territory` (`None`: outside every CPTS, the configured sender,
    /// answering to every coordinator).
    pub fn of(territory: &territory::Territory, cpts: Option<&str>) -> Self {
        Self {
            name: cpts
                .and_then(|id| territory.cpts.iter().find(|c| c.id == id))
                .map(|c| c.name.clone()),
            reply_to: crate::domain::communes::coordinator_addresses(territory, cpts),
        }
    }

    fn sign(self, mail: Mail) -> Mail {
        Mail {
            reply_to: self.reply_to,
            from_name: self.name,
            ..mail
        }
    }
}

/// The doctor's mail: the commune and the distance, a reference and his link. `reminder`
/// words it as a reminder. It comes from his patient's CPTS and his answer goes to its
/// coordinators (`from`).
pub fn to_doctor(
    view: &View,
    to: &str,
    from: FromCpts,
    proposal: &Proposal,
    commune: &str,
    link: &str,
    reminder: bool,
) -> Mail {
    let (id, subject, opening) = if reminder {
        (
            format!("{}-rappel-medecin", proposal.id),
            format!(
                "Rappel : proposition de patient en attente — réf. {}",
                proposal.id
            ),
            "Rappel : une proposition de nouveau patient attend votre réponse.",
        )
    } else {
        (
            format!("{}-medecin", proposal.id),
            format!(
                "Proposition d'un nouveau patient par la CPTS — réf. {}",
                proposal.id
            ),
            "La coordination de la CPTS vous propose un nouveau patient, selon la disponibilité que vous avez déclarée.",
        )
    };
    let mail = compose(
        view,
        &id,
        vec![to.to_string()],
        subject,
        &[
            opening.to_string(),
            format!(
                "Commune du patient : {commune} (à {} km de votre cabinet)\nRéférence : {}\nRéponse souhaitée avant le {} ; sans réponse, la demande sera proposée à un confrère.",
                matching::km(proposal.distance_km),
                proposal.id,
                unix_date_fr(proposal.deadline)
            ),
            "Vous pouvez accepter, refuser sans avoir à vous justifier, ou faire une pause. Les coordonnées du patient ne vous sont montrées qu'après votre accord.".into(),
        ],
        &[(labelled("Voir la proposition et répondre", Link::Proposal), link)],
    );
    from.sign(mail)
}

/// The doctor's proposal `proposal` expired without his answer: it is closed, he has nothing to
/// do. The reference only (not even the commune): nothing he needs to act on.
pub fn expired_to_doctor(view: &View, to: &str, from: FromCpts, proposal: &Proposal) -> Mail {
    let mail = compose(
        view,
        &format!("{}-expiree-medecin", proposal.id),
        vec![to.to_string()],
        format!("Proposition close — réf. {}", proposal.id),
        &[
            format!(
                "La proposition de patient réf. {} est close : le délai de réponse est passé.",
                proposal.id
            ),
            "Vous n'avez rien à faire. La demande est proposée à un confrère.".into(),
            "Une question ? Répondez à ce courriel : il va à la coordination de la CPTS.".into(),
        ],
        &[],
    );
    from.sign(mail)
}

/// The patient's mail once a doctor accepted him.
pub fn to_patient(view: &View, to: &str, reference: &str, link: &str) -> Mail {
    compose(
        view,
        &format!("{reference}-patient"),
        vec![to.to_string()],
        format!("Un médecin traitant accepte votre demande — réf. {reference}"),
        &[
            format!(
                "Bonne nouvelle : un médecin accepte de devenir votre médecin traitant (demande {reference})."
            ),
            format!(
                "{} Au rendez-vous, remplissez avec lui la déclaration de médecin traitant.",
                crate::domain::next_steps::PRACTICE_CALLS
            ),
            "Le lien ci-dessous vous donne son nom et la commune de son cabinet.".into(),
        ],
        &[("Voir le médecin qui vous accepte".to_string(), link)],
    )
}

/// The doctor of proposal `proposal_id` declined request `reference`.
pub fn declined(proposal_id: &str, reference: &str, commune: &str) -> Event {
    Event {
        id: format!("{proposal_id}-refusee"),
        subject: format!("Le médecin a décliné — réf. {reference}"),
        what: format!("Le médecin proposé a décliné la demande {reference} ({commune})."),
    }
}

/// The doctor wanted to accept, but every place he declared for the year is taken.
pub fn no_place_left(proposal_id: &str, reference: &str, commune: &str) -> Event {
    Event {
        id: format!("{proposal_id}-complet"),
        subject: format!("Le médecin n'a plus de place — réf. {reference}"),
        what: format!(
            "Le médecin proposé pour la demande {reference} ({commune}) a voulu accepter, mais toutes les places qu'il avait déclarées pour l'année sont prises."
        ),
    }
}

/// Nobody answered the proposal in time: `who` ("la coordination", "le médecin").
pub fn expired(proposal_id: &str, reference: &str, commune: &str, who: &str) -> Event {
    Event {
        id: format!("{proposal_id}-expiree"),
        subject: format!("Proposition sans réponse — réf. {reference}"),
        what: format!(
            "La proposition pour la demande {reference} ({commune}) n'a pas eu de réponse de {who} dans le délai de {} jours.",
            lifecycle::ANSWER_DAYS
        ),
    }
}

/// Whom a mail of a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    Person,
    Doctor,
    Coordinators,
}

impl Recipient {
    pub fn label(self) -> &'static str {
        match self {
            Recipient::Person => "courriel à la personne",
            Recipient::Doctor => "courriel au médecin",
            Recipient::Coordinators => "courriel à la coordination",
        }
    }
}

/// The request a mail is about and whom it is for, read from its id (as written above): the
/// person (`<reference>-patient`), a doctor (`…-medecin`) or the coordinators (every other mail
/// of a request). `None` for a mail of no request (a sign-in link).
pub fn concerns(id: &str) -> Option<(&str, Recipient)> {
    let reference = id.split('-').next()?;
    if !crate::domain::reference::is_reference(reference) {
        return None;
    }
    let whom = if id == format!("{reference}-patient") {
        Recipient::Person
    } else if id.ends_with("-medecin") {
        Recipient::Doctor
    } else {
        Recipient::Coordinators
    };
    Some((reference, whom))
}
