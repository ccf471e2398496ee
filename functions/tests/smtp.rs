//! The SMTP mailer against a real SMTP server (aiosmtpd, `smtp_server.py`) on 127.0.0.1: STARTTLS
//! and implicit TLS with AUTH, a refused recipient, a dropped connection, a reused connection,
//! DKIM signatures checked as a receiver does (PyPI dkimpy, `dkim_check.py`).
//! The server starts once for this test binary.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine;
use functions::domain::lifecycle::{AuditEntry, Mail};
use functions::mail::{
    Dkim, GIVEN_UP, Mailer, PERMANENT_REFUSAL_ATTEMPTS, Security, SmtpMailer, SmtpSettings,
    deliver_due,
};
use functions::store::{SqliteStore, Store};

struct Server {
    _child: Child,
    spool: PathBuf,
    starttls: u16,
    tls: u16,
    plain: u16,
    ca: Vec<u8>,
}

/// The server, started on first use; it ends when this process closes its standard input.
fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let spool = tempfile::tempdir().unwrap().keep();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(&spool)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs (with aiosmtpd, see scripts/test.sh)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: serde_json::Value = serde_json::from_str(&line)
            .expect("the SMTP server says its ports (is aiosmtpd installed?)");
        let port = |name: &str| ready["ports"][name].as_u64().unwrap() as u16;
        Server {
            starttls: port("starttls"),
            tls: port("tls"),
            plain: port("plain"),
            ca: std::fs::read(ready["ca"].as_str().unwrap()).unwrap(),
            spool,
            _child: child,
        }
    })
}

const FROM: &str = "CPTS des Ardennes <ne-pas-repondre@cpts-ardennes.example>";

fn settings(security: Security, auth: bool) -> SmtpSettings {
    let s = server();
    let port = match security {
        Security::StartTls => s.starttls,
        Security::Tls => s.tls,
        Security::None => s.plain,
    };
    let mut settings = SmtpSettings::new("127.0.0.1", security, FROM);
    settings.port = port;
    settings.root_certificate = Some(s.ca.clone());
    settings.timeout = Duration::from_secs(10);
    if auth {
        settings.credentials = Some(("cpts".into(), "mot-de-passe-de-test".into()));
    }
    settings
}

fn mail(id: &str, to: &str) -> Mail {
    Mail {
        id: id.into(),
        to: vec![to.into()],
        subject: format!("Proposition d'un nouveau patient — réf. {id}"),
        text: "Bonjour,\n\nVoir la proposition :\nhttps://cpts.example/p\n".into(),
        html: "<p>Bonjour,</p><p><a href=\"https://cpts.example/p\">Voir</a></p>".into(),
        reply_to: vec!["coordination@cpts-ardennes.example".into()],
        from_name: None,
    }
}

/// Every mail the server received for `to` so far.
fn received(to: &str) -> Vec<serde_json::Value> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&server().spool).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let record: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            if record["to"].as_array().unwrap().iter().any(|t| t == to) {
                found.push(record);
            }
        }
    }
    found
}

async fn queued(store: &SqliteStore, mail: &Mail) {
    let audit = AuditEntry {
        at: 1_000,
        actor: "system".into(),
        action: "test".into(),
        object: mail.id.clone(),
    };
    assert!(store.queue_mail(mail, &audit, &[], 1_000).await.unwrap());
}

#[tokio::test]
async fn starttls_with_auth_delivers_the_message_with_its_reply_to_and_both_parts() {
    let mailer = SmtpMailer::new(settings(Security::StartTls, true)).unwrap();
    mailer
        .send(&mail("STARTTLS1", "medecin1@exemple.fr"))
        .await
        .unwrap();
    let got = received("medecin1@exemple.fr");
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r["server"], "starttls");
    assert_eq!(r["tls"], true, "STARTTLS before the mail");
    assert_eq!(r["user"], "cpts");
    assert_eq!(r["from"], "ne-pas-repondre@cpts-ardennes.example");
    let message = r["message"].as_str().unwrap();
    assert!(
        message.contains("From: \"CPTS des Ardennes\" <ne-pas-repondre@cpts-ardennes.example>")
            || message.contains("From: CPTS des Ardennes <ne-pas-repondre@cpts-ardennes.example>"),
        "{message}"
    );
    assert!(
        message.contains("Reply-To: coordination@cpts-ardennes.example"),
        "{message}"
    );
    assert!(message.contains("Subject: "), "{message}");
    assert!(message.contains("text/plain"), "{message}");
    assert!(message.contains("text/html"), "{message}");
    assert!(message.contains("Message-ID: <STARTTLS1@"), "{message}");
}

#[tokio::test]
async fn implicit_tls_with_auth_delivers() {
    let mailer = SmtpMailer::new(settings(Security::Tls, true)).unwrap();
    mailer
        .send(&mail("TLS1", "medecin2@exemple.fr"))
        .await
        .unwrap();
    let got = received("medecin2@exemple.fr");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["server"], "tls");
    assert_eq!(got[0]["tls"], true);
    assert_eq!(got[0]["user"], "cpts");
}

#[tokio::test]
async fn a_server_that_requires_auth_refuses_a_mail_without_it_or_with_a_wrong_password() {
    let mailer = SmtpMailer::new(settings(Security::StartTls, false)).unwrap();
    let e = mailer
        .send(&mail("NOAUTH", "medecin3@exemple.fr"))
        .await
        .unwrap_err();
    assert!(!e.to_string().contains('@'), "no address in logs: {e}");
    let mut wrong = settings(Security::StartTls, true);
    wrong.credentials = Some(("cpts".into(), "faux".into()));
    let e = SmtpMailer::new(wrong)
        .unwrap()
        .send(&mail("BADAUTH", "medecin3@exemple.fr"))
        .await
        .unwrap_err();
    assert!(!e.to_string().contains("faux"), "{e}");
    assert!(received("medecin3@exemple.fr").is_empty());
}

#[tokio::test]
async fn an_unknown_certificate_is_refused() {
    let mut untrusted = settings(Security::Tls, true);
    untrusted.root_certificate = None;
    let e = SmtpMailer::new(untrusted)
        .unwrap()
        .send(&mail("UNTRUSTED", "medecin4@exemple.fr"))
        .await
        .unwrap_err();
    assert!(!e.is_permanent(), "{e}");
    assert!(received("medecin4@exemple.fr").is_empty());
}

#[tokio::test]
async fn a_refused_recipient_is_permanent_and_given_up_after_its_attempts() {
    let store = SqliteStore::in_memory().unwrap();
    let mailer = SmtpMailer::new(settings(Security::None, false)).unwrap();
    let refused = mail("REFUSED", "refuse-moi@exemple.fr");
    let e = mailer.send(&refused).await.unwrap_err();
    assert!(e.is_permanent(), "550 is permanent: {e}");
    assert!(
        !e.to_string().contains("refuse-moi@"),
        "no address in logs: {e}"
    );
    queued(&store, &refused).await;
    let mut now = 1_000;
    for attempt in 1..=PERMANENT_REFUSAL_ATTEMPTS {
        assert_eq!(
            deliver_due(&store, &mailer, now).await,
            (0, 1),
            "attempt {attempt}"
        );
        now += 3_600;
    }
    // Given up: never due again, still unsent (nothing says it was sent).
    assert_eq!(deliver_due(&store, &mailer, GIVEN_UP - 1).await, (0, 0));
    assert_eq!(store.pending_mail_count().await.unwrap(), 1);
    assert!(received("refuse-moi@exemple.fr").is_empty());
}

#[tokio::test]
async fn a_dropped_connection_is_transient_retried_then_delivered() {
    let store = SqliteStore::in_memory().unwrap();
    let mailer = SmtpMailer::new(settings(Security::None, false)).unwrap();
    let dropped = mail("DROPPED", "drop-une-fois@exemple.fr");
    queued(&store, &dropped).await;
    assert_eq!(deliver_due(&store, &mailer, 1_000).await, (0, 1));
    // Not due before its backoff, delivered after.
    assert_eq!(deliver_due(&store, &mailer, 1_010).await, (0, 0));
    assert_eq!(deliver_due(&store, &mailer, 1_031).await, (1, 0));
    assert_eq!(received("drop-une-fois@exemple.fr").len(), 1);
    assert_eq!(store.pending_mail_count().await.unwrap(), 0);
}

#[tokio::test]
async fn several_mails_reuse_the_connections() {
    let store = SqliteStore::in_memory().unwrap();
    let mut one = settings(Security::StartTls, true);
    one.max_connections = 1;
    let mailer = SmtpMailer::new(one).unwrap();
    for n in 0..5 {
        queued(&store, &mail(&format!("POOL{n}"), "pool@exemple.fr")).await;
    }
    assert_eq!(deliver_due(&store, &mailer, 1_000).await, (5, 0));
    let got = received("pool@exemple.fr");
    assert_eq!(got.len(), 5);
    let peers: std::collections::BTreeSet<String> =
        got.iter().map(|r| r["peer"].to_string()).collect();
    // lettre hands a connection back to its pool once a send is over, in the background: the
    // next send may open a second one before, never one per mail.
    assert!(peers.len() <= 2, "connections reused: {peers:?}");
}

/// `dkim_check.py` with `args`, `input` on its standard input.
fn dkim_check(args: &[&str], input: &[u8]) -> std::process::Output {
    use std::io::Write;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dkim_check.py");
    let mut child = Command::new("python3")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_ne!(
        output.status.code(),
        Some(2),
        "dkimpy is needed (see scripts/test.sh): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Whether `message` carries a DKIM signature that verifies with the record `p=` published at
/// `selector._domainkey.cpts-ardennes.example` (the DNS answer given by the test).
fn verifies(message: &[u8], selector: &str, p: &str) -> bool {
    let out = dkim_check(&["verify", selector, DKIM_DOMAIN, p], message);
    let said = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => true,
        Some(1) => {
            eprintln!("dkimpy refuses the message:\n{said}");
            false
        }
        _ => panic!("dkim_check.py: {said}"),
    }
}

const DKIM_DOMAIN: &str = "cpts-ardennes.example";

#[tokio::test]
async fn dkim_signed_mails_verify_with_the_published_key_and_one_changed_byte_breaks_them() {
    // A new RSA 2048 key, as PKCS#1 and as PKCS#8, and the p= of its DNS record.
    let folder = tempfile::tempdir().unwrap();
    let keys = dkim_check(&["keys", folder.path().to_str().unwrap()], b"");
    assert!(keys.status.success(), "{keys:?}");
    let p = String::from_utf8(keys.stdout).unwrap().trim().to_string();
    for (n, file) in ["pkcs1.pem", "pkcs8.pem"].into_iter().enumerate() {
        let pem = std::fs::read_to_string(folder.path().join(file)).unwrap();
        let mut signed = settings(Security::StartTls, true);
        signed.dkim = Some(Dkim::new(DKIM_DOMAIN, "cpts", &pem).unwrap());
        let to = format!("dkim{n}@exemple.fr");
        let mut sent = mail(&format!("DKIM{n}"), &to);
        sent.text = "Bonjour,\n\nUn médecin accepte : voir la proposition.\n".into();
        SmtpMailer::new(signed).unwrap().send(&sent).await.unwrap();
        let got = received(&to);
        assert_eq!(got.len(), 1, "{file}");
        let raw = base64::engine::general_purpose::STANDARD
            .decode(got[0]["raw"].as_str().unwrap())
            .unwrap();
        let text = String::from_utf8(raw.clone()).unwrap();
        let header = text
            .split("\r\n\r\n")
            .next()
            .unwrap()
            .replace("\r\n ", " ")
            .replace("\r\n\t", " ");
        let signature = header
            .lines()
            .find(|l| l.starts_with("DKIM-Signature:"))
            .unwrap_or_else(|| panic!("{file}: no signature in {header}"));
        for tag in [
            "a=rsa-sha256",
            "d=cpts-ardennes.example",
            "s=cpts",
            "c=relaxed/relaxed",
            "h=from:to:subject:date:message-id:reply-to:mime-version;",
        ] {
            assert!(signature.contains(tag), "{file}: {tag} in {signature}");
        }
        assert!(verifies(&raw, "cpts", &p), "{file}: signature valid");

        // One byte of the body changed.
        let body = text.find("\r\n\r\n").unwrap();
        let at = body + text[body..].find("Bonjour").unwrap();
        let mut tampered = raw.clone();
        tampered[at] = b'b';
        assert!(!verifies(&tampered, "cpts", &p), "{file}: body changed");
        // The reply address changed (a signed header).
        let tampered = text.replace("coordination@", "coordinatiom@");
        assert_ne!(tampered, text);
        assert!(
            !verifies(tampered.as_bytes(), "cpts", &p),
            "{file}: Reply-To changed"
        );
        // The key published under another selector: the receiver finds no record.
        assert!(!verifies(&raw, "autre", &p), "{file}: other selector");
    }
}

#[tokio::test]
async fn without_dkim_settings_nothing_is_signed() {
    SmtpMailer::new(settings(Security::None, false))
        .unwrap()
        .send(&mail("NODKIM", "sans-dkim@exemple.fr"))
        .await
        .unwrap();
    let got = received("sans-dkim@exemple.fr");
    assert!(
        !got[0]["message"]
            .as_str()
            .unwrap()
            .contains("DKIM-Signature")
    );
}
