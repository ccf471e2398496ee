//! The whole life of a request on the real `cpts serve` (issue #6), driven as people drive it:
//! through the HTTP routes on 127.0.0.1 and the emails the server writes to its outbox. A patient
//! registers; the coordinator follows her email's link and validates the proposed doctor; the
//! doctor follows his and accepts, then sees the patient's contact details; the patient's email
//! leads to his doctor's name. Then `cpts jobs run` reports on the same data folder, once as
//! today and once eight days later, when an unanswered proposal has expired.

use std::process::Command;
use std::time::{Duration, Instant};

mod support;
use support::*;

#[test]
fn a_request_goes_from_registration_to_an_accepting_doctor_on_cpts_serve() {
    let started = Instant::now();
    let binary = cpts_binary();
    let server = Server::start(&binary, &content_dir());
    let outbox = server.outbox();
    eprintln!(
        "cpts serve ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // A folder's address without its slash stays on this host, however many slashes lead.
    for path in ["/carte", "//carte"] {
        let reply = server.get(path);
        assert_eq!(reply.status, 308, "{path}");
        assert_eq!(reply.header("location"), Some("/carte/"), "{path}");
    }

    // The patient registers from the site's form.
    let (last_name, first_name, phone) = ("Dupré-Lefèvre", "Léa", "06 12 34 56 78");
    let reference = register(&server, last_name, first_name, phone);

    // The coordinator's email leads to the request, with the doctor proposed and why.
    let mail = wait_for_mail(&outbox, &format!("{reference}-coordination.eml"));
    let link = server.link_in(&mail, "/api/demandes/");
    let page = server.get(&link);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Médecin proposé"), "{}", page.body);
    assert!(page.body.contains(last_name), "she needs the name to call");
    let doctor = between(&page.body, "Médecin proposé : ", " (cabinet")
        .expect("the proposed doctor's name")
        .to_string();
    let proposal = field_value(&page.body, "proposition").expect("the proposal's id");
    let token = field_value(&page.body, "jeton").expect("the page's token");
    // Opening the page changed nothing: no mail to the doctor yet.
    assert!(!outbox.join(format!("{proposal}-medecin.eml")).exists());

    // She validates.
    let mut decision = vec![
        ("jeton", token.as_str()),
        ("proposition", proposal.as_str()),
        ("decision", "valider"),
    ];
    if page.body.contains(r#"name="qui""#) {
        decision.push(("qui", "0"));
    }
    let done = server.post_form(&format!("/api/demandes/{reference}"), &decision);
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Proposition validée"), "{}", done.body);
    // The same POST again acts no more.
    let again = server.post_form(&format!("/api/demandes/{reference}"), &decision);
    assert_eq!(again.status, 409, "{}", again.body);

    // The doctor's email leads to what he needs to decide: commune and distance, no name.
    let mail = wait_for_mail(&outbox, &format!("{proposal}-medecin.eml"));
    let link = server.link_in(&mail, "/api/propositions/");
    let offer = server.get(&link);
    assert_eq!(offer.status, 200, "{}", offer.body);
    assert!(offer.body.contains("Sedan"), "{}", offer.body);
    assert!(offer.body.contains(" km"), "{}", offer.body);
    for private in [last_name, first_name, phone, "14/07/1950"] {
        assert!(
            !offer.body.contains(private),
            "{private} shown before he accepts"
        );
    }
    let doctor_token = field_value(&offer.body, "jeton").expect("the doctor's token");

    // He accepts, and then sees who to call.
    let accepted = server.post_form(
        &format!("/api/propositions/{proposal}"),
        &[("jeton", &doctor_token), ("reponse", "accepter")],
    );
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    let back = accepted.header("location").expect("Location").to_string();
    let contact = server.get(&back);
    assert_eq!(contact.status, 200, "{}", contact.body);
    assert!(contact.body.contains(last_name), "{}", contact.body);
    assert!(contact.body.contains(phone), "{}", contact.body);

    // The patient and the coordinator are told.
    let to_coordinator = wait_for_mail(&outbox, &format!("{proposal}-acceptee.eml"));
    assert!(to_coordinator.contains("a accepté"), "{to_coordinator}");
    let to_patient = wait_for_mail(&outbox, &format!("{reference}-patient.eml"));
    let link = server.link_in(&to_patient, "/api/suivi/");
    let follow_up = server.get(&link);
    assert_eq!(follow_up.status, 200, "{}", follow_up.body);
    assert!(follow_up.body.contains(&doctor), "{}", follow_up.body);

    // No email carries the patient's name, phone or birth date.
    for name in mail_names(&outbox) {
        let text = decode_mail(&std::fs::read_to_string(outbox.join(&name)).unwrap());
        for private in [last_name, first_name, phone, "+33612345678", "14/07/1950"] {
            assert!(!text.contains(private), "{private} in {name}");
        }
    }

    // The scheduled jobs on the same data folder: nothing left to do.
    let run = jobs_run(&binary, &server, None);
    let report = String::from_utf8_lossy(&run.stdout);
    eprintln!("cpts jobs run:\n{report}");
    assert!(
        run.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for line in [
        "Propositions expirées sans réponse : 0",
        "Patients prévenus qu'un médecin les accepte : 0",
        "Demandes toujours en attente d'un médecin : 0",
    ] {
        assert!(report.contains(line), "« {line} » in:\n{report}");
    }

    // A second request whose proposal nobody validates: eight days later it has expired, and
    // the coordinators are told.
    let second = register(&server, "Martin", "Paul", "06 98 76 54 32");
    wait_for_mail(&outbox, &format!("{second}-coordination.eml"));
    let later = chrono::Local::now().date_naive() + chrono::Days::new(8);
    let run = jobs_run(&binary, &server, Some(later));
    let report = String::from_utf8_lossy(&run.stdout);
    eprintln!("CPTS_TODAY={later} cpts jobs run:\n{report}");
    assert!(
        run.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        report.contains("Propositions expirées sans réponse : 1"),
        "{report}"
    );
    let expired = wait_for_mail(&outbox, &format!("{second}-1-expiree.eml"));
    assert!(expired.contains("n'a pas eu de réponse"), "{expired}");
    // The next doctor is proposed to the coordinator.
    let page = server.get(&server.link_in(&expired, "/api/demandes/"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Médecin proposé"), "{}", page.body);
    assert!(page.body.contains(&format!("{second}-2")), "{}", page.body);

    // The console names each mail's file, and nothing else of it: no address, no link, no token.
    let console = format!("{}{}{report}", server.output(), server.log());
    assert!(
        console.contains(&format!("Courriel écrit : {}", outbox.display())),
        "{console}"
    );
    let links = format!("{}/api/", server.origin());
    for secret in ["@", "jeton", &links] {
        assert!(
            !console.contains(secret),
            "« {secret} » on the console:\n{console}"
        );
    }
    eprintln!("whole flow in {:.1} s", started.elapsed().as_secs_f64());
}

/// The site's pages, its files and the handler's answers all carry the security headers, and no
/// page has an inline script the policy would block (the live-reload script is a file).
#[test]
fn cpts_serve_sends_the_security_headers_on_every_answer() {
    let server = Server::start(&cpts_binary(), &content_dir());
    for path in [
        "/",
        "/carte/",
        "/inscription/",
        "/style.css",
        "/nulle-part",
        "/api/health",
    ] {
        let reply = server.get(path);
        for (name, value) in functions::web::respond::SECURITY_HEADERS {
            assert_eq!(reply.header(name), Some(value), "{path}: {name}");
        }
        if reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html"))
        {
            let inline = reply
                .body
                .match_indices("<script")
                .any(|(at, _)| !reply.body[at..].split('>').next().unwrap().contains("src="));
            assert!(!inline, "{path}: an inline script\n{}", reply.body);
            assert!(!reply.body.contains("style=\""), "{path}: an inline style");
        }
    }
    let reload = server.get("/__cpts/reload.js");
    assert_eq!(reload.status, 200);
    assert!(reload.body.contains("/__cpts/version"), "{}", reload.body);
}

#[test]
fn jobs_run_refuses_a_data_folder_without_a_database() {
    let binary = cpts_binary();
    let empty = tempfile::tempdir().unwrap();
    let output = Command::new(binary)
        .args(["jobs", "run", "--content"])
        .arg(content_dir())
        .arg("--data")
        .arg(empty.path().join("nowhere"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("Aucune base de données"), "{message}");
    assert!(!empty.path().join("nowhere").exists(), "nothing created");
}

#[test]
fn a_new_doctors_csv_gets_waiting_requests_a_doctor_on_cpts_serve() {
    // The demo, first published with no doctor accepting new patients now.
    let content = tempfile::tempdir().unwrap();
    copy_dir(&content_dir(), content.path());
    let doctors = content.path().join("territory/doctors.csv");
    let published = std::fs::read_to_string(&doctors).unwrap();
    let nobody_now: String = published
        .lines()
        .filter(|l| !l.contains(";accepte_"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&doctors, nobody_now).unwrap();
    let binary = cpts_binary();
    let server = Server::start(&binary, content.path());
    let outbox = server.outbox();

    let reference = register(&server, "Durand", "Jeanne", "06 11 22 33 44");
    let mail = wait_for_mail(&outbox, &format!("{reference}-coordination.eml"));
    let page = server.get(&server.link_in(&mail, "/api/demandes/"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("Aucun médecin ne peut prendre cette demande"),
        "{}",
        page.body
    );

    // A list with an error is not published to the handler: it keeps the one it has.
    std::fs::write(&doctors, format!("{published}med-999;Dr Inconnu;99999\n")).unwrap();
    let started = Instant::now();
    while !server.log().contains("Territoire non rechargé") {
        assert!(
            started.elapsed() < START_TIMEOUT,
            "no « Territoire non rechargé » in:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        !outbox
            .join(format!("{reference}-1-proposition.eml"))
            .exists()
    );

    // The full list is published: the server reloads it and proposes a doctor at once.
    let started = Instant::now();
    std::fs::write(&doctors, &published).unwrap();
    let proposal = wait_for_mail_within(
        &outbox,
        &format!("{reference}-1-proposition.eml"),
        START_TIMEOUT,
    );
    assert!(proposal.contains("Un médecin est proposé"), "{proposal}");
    assert!(
        server.log().contains("Territoire rechargé"),
        "{}",
        server.log()
    );
    eprintln!(
        "proposed {:.1} s after doctors.csv changed",
        started.elapsed().as_secs_f64()
    );
    let page = server.get(&server.link_in(&proposal, "/api/demandes/"));
    assert!(page.body.contains("Médecin proposé"), "{}", page.body);
}

/// The public site follows what the doctors' answers change (issue #15): `cpts serve` rebuilds by
/// itself when a proposal takes a doctor's last place, and when he pauses through his link.
#[test]
fn the_site_rebuilt_by_serve_shows_full_capacity_and_a_pause() {
    use chrono::Datelike;
    // The demo with every doctor named on the map and one place a year each.
    let content = tempfile::tempdir().unwrap();
    copy_dir(&content_dir(), content.path());
    let doctors = content.path().join("territory/doctors.csv");
    let published = std::fs::read_to_string(&doctors).unwrap();
    let mut lines = published.lines();
    let mut csv = format!("{}\n", lines.next().unwrap());
    for line in lines {
        let mut cells: Vec<&str> = line.split(';').collect();
        cells[7] = "1";
        cells[11] = "oui";
        csv.push_str(&cells.join(";"));
        csv.push('\n');
    }
    std::fs::write(&doctors, csv).unwrap();
    let binary = cpts_binary();
    let server = Server::start(&binary, content.path());
    let outbox = server.outbox();
    let shown = |name: &str| -> String {
        let map = server.get("/carte/donnees/medecins.geojson");
        assert_eq!(map.status, 200);
        let from = map
            .body
            .find(name)
            .unwrap_or_else(|| panic!("{name} on the map"));
        let rest = &map.body[from..];
        rest[..rest.find('}').unwrap_or(rest.len())].to_string()
    };
    let wait_until = |name: &str, text: &str| {
        let started = Instant::now();
        loop {
            let now = shown(name);
            if now.contains(text) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "« {text} » never shown for {name}: {now}\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };

    let reference = register(&server, "Durand", "Jeanne", "06 11 22 33 44");
    let mail = wait_for_mail(&outbox, &format!("{reference}-coordination.eml"));
    let page = server.get(&server.link_in(&mail, "/api/demandes/"));
    let doctor = between(&page.body, "Médecin proposé : ", " (cabinet")
        .expect("the proposed doctor's name")
        .to_string();
    // His one place is held by the proposal: the map says when he accepts again.
    let next_year = chrono::Local::now().date_naive().year() + 1;
    let full = wait_until(&doctor, &format!("à partir du 1er janvier {next_year}"));
    eprintln!(
        "full capacity shown {:.2} s after the check began",
        full.as_secs_f64()
    );

    // The coordinator validates; he answers « pause » through his link.
    let proposal = field_value(&page.body, "proposition").expect("the proposal's id");
    let token = field_value(&page.body, "jeton").expect("the page's token");
    let mut decision = vec![
        ("jeton", token.as_str()),
        ("proposition", proposal.as_str()),
        ("decision", "valider"),
    ];
    if page.body.contains(r#"name="qui""#) {
        decision.push(("qui", "0"));
    }
    let done = server.post_form(&format!("/api/demandes/{reference}"), &decision);
    assert_eq!(done.status, 200, "{}", done.body);
    let mail = wait_for_mail(&outbox, &format!("{proposal}-medecin.eml"));
    let offer = server.get(&server.link_in(&mail, "/api/propositions/"));
    let doctor_token = field_value(&offer.body, "jeton").expect("the doctor's token");
    let paused = server.post_form(
        &format!("/api/propositions/{proposal}"),
        &[
            ("jeton", &doctor_token),
            ("reponse", "pause"),
            ("pause_mois", "1"),
        ],
    );
    assert!(paused.status < 400, "{}", paused.body);
    let rebuilt = wait_until(&doctor, "en pause jusqu'au");
    eprintln!(
        "pause shown on the public map {:.2} s after his answer",
        rebuilt.as_secs_f64()
    );
    assert!(
        server
            .log()
            .contains("Disponibilités des médecins ou chiffres publics modifiés"),
        "{}",
        server.log()
    );
    // The public figures (issue #16) were rebuilt from the store with the doctors' changes: one
    // request this quarter, too few to show, so every count of the tables is hidden.
    let figures = server.get("/chiffres/");
    assert_eq!(figures.status, 200);
    assert!(!figures.body.contains("seront publiés"), "{}", figures.body);
    assert!(
        figures.body.contains("Tout le territoire"),
        "{}",
        figures.body
    );
    assert!(figures.body.contains("<td>caché</td>"), "{}", figures.body);
    assert!(
        !figures.body.contains("<td>5</td>"),
        "a count under 11 shown"
    );
}
