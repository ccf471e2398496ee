//! The SES mailer against moto_server (PyPI `moto[server]`), started by the test on a free
//! loopback port: the sender identity is created and checked through the SESv2 API, mails go out
//! through `SesMailer`, and what moto received is read back from its API (`/moto-api/data.json`)
//! and compared with the outbox's `.eml` of the same mail. A machine without moto fails here.

#![cfg(feature = "aws")]

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_sesv2::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sesv2::types::{DeliveryOptions, TlsPolicy};
use common::{decode_mail, outbox_files};
use functions::domain::lifecycle::Mail;
use functions::mail::ses::SesMailer;
use functions::mail::{MailError, Mailer, Outbox};
use functions::mails::{ToCoordinators, new_request};
use functions::view::View;
use serde_json::Value;

const FROM: &str = "Médecin traitant Ardennes <ne-pas-repondre@medecin.example.org>";

/// moto_server, stopped when dropped.
struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `moto_server` command: on the PATH, else in Python's scripts folder.
fn moto_command() -> Command {
    let on_path = Command::new("moto_server")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if on_path {
        return Command::new("moto_server");
    }
    let scripts = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let path = std::path::Path::new(&scripts).join("moto_server");
    assert!(
        path.exists(),
        "moto_server is missing: install it with `python3 -m pip install 'moto[server]'` \
         (scripts/test.sh does); the SES tests need it and never skip"
    );
    Command::new(path)
}

fn start_moto() -> Moto {
    let port = free_port();
    let child = moto_command()
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server starts");
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not listen on 127.0.0.1:{port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    moto
}

fn client(moto: &Moto) -> aws_sdk_sesv2::Client {
    let config = aws_sdk_sesv2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-3"))
        .credentials_provider(Credentials::new("test", "test", None, None, "moto"))
        .endpoint_url(&moto.url)
        .build();
    aws_sdk_sesv2::Client::from_conf(config)
}

/// Everything moto recorded as sent raw: (destinations, raw message).
fn sent_messages(moto: &Moto) -> Vec<(Vec<String>, String)> {
    let url = format!("{}/moto-api/data.json", moto.url);
    let text = http_get(&url);
    let data: Value = serde_json::from_str(&text).expect("moto's data.json");
    data["ses"]["RawMessage"]
        .as_array()
        .expect("ses.RawMessage in moto's data.json")
        .iter()
        .map(|m| {
            let to = m["destinations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap().to_string())
                .collect();
            (to, m["raw_data"].as_str().unwrap().to_string())
        })
        .collect()
}

/// A plain HTTP/1.0 GET on loopback (the test needs nothing more).
fn http_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(stream, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("HTTP/1.") && head.contains(" 200 "),
        "{head}"
    );
    body.to_string()
}

/// A message with its two parts that change at every build (the MIME boundary and the Date
/// header) replaced by fixed words; everything else must be byte for byte the same.
fn comparable(raw: &str) -> String {
    let mut text = raw.to_string();
    if let Some(start) = text.find("boundary=\"") {
        let rest = &text[start + "boundary=\"".len()..];
        let boundary = rest[..rest.find('"').unwrap()].to_string();
        text = text.replace(&boundary, "BOUNDARY");
    }
    text.split_inclusive('\n')
        .map(|l| {
            if l.starts_with("Date: ") {
                "Date: DATE\r\n"
            } else {
                l
            }
        })
        .collect()
}

fn mails() -> Vec<Mail> {
    let link = "https://medecin.example.org/api/demandes/K7M4P9QX?jeton=v1.k1.voir.K7M4P9QX.1.abc";
    let overview = "https://medecin.example.org/api/coordination/sedan?jeton=v1.k1.vue.sedan.1.abc";
    vec![
        new_request(
            &View::builtin(),
            ToCoordinators {
                to: vec!["coordination@cpts-sedan.example.org".into()],
                request: link.into(),
                overview: overview.into(),
            },
            "K7M4P9QX",
            "Sedan",
            "lundi 3 mars 2025",
        ),
        new_request(
            &View::builtin(),
            ToCoordinators {
                to: vec![
                    "une@cpts-rethel.example.org".into(),
                    "deux@cpts-rethel.example.org".into(),
                ],
                request: link.into(),
                overview: overview.into(),
            },
            "A1B2C3D4",
            "Saint-Germainmont",
            "mardi 4 mars 2025",
        ),
    ]
}

#[tokio::test]
async fn ses_mailer_sends_the_outbox_message_through_sesv2() {
    let moto = start_moto();
    let ses = client(&moto);

    // The sender's domain as an SES identity, and a configuration set that requires TLS, as the
    // SAM template creates them.
    ses.create_email_identity()
        .email_identity("medecin.example.org")
        .send()
        .await
        .expect("CreateEmailIdentity");
    let identity = ses
        .get_email_identity()
        .email_identity("medecin.example.org")
        .send()
        .await
        .expect("GetEmailIdentity");
    assert_eq!(
        identity.verification_status().map(|s| s.as_str()),
        Some("SUCCESS"),
        "{identity:?}"
    );
    ses.create_configuration_set()
        .configuration_set_name("cpts-mail")
        .delivery_options(
            DeliveryOptions::builder()
                .tls_policy(TlsPolicy::Require)
                .build(),
        )
        .send()
        .await
        .expect("CreateConfigurationSet");

    let mailer = SesMailer::new(ses.clone(), FROM, Some("cpts-mail".into()));
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox {
        dir: dir.path().to_path_buf(),
        from: FROM.into(),
        print_paths: false,
    };
    for mail in mails() {
        mailer.send(&mail).await.expect("sent through SES");
        outbox.send(&mail).await.unwrap();
    }

    let sent = sent_messages(&moto);
    assert_eq!(sent.len(), 2, "two messages recorded by moto");
    for (mail, (destinations, raw)) in mails().iter().zip(&sent) {
        for to in &mail.to {
            assert!(destinations.contains(to), "{to} in {destinations:?}");
        }
        assert_eq!(
            header(raw, "Subject").as_deref(),
            Some(&*mail.subject),
            "{raw}"
        );
        assert_eq!(header(raw, "To"), Some(mail.to.join(", ")), "{raw}");
        assert!(decode_mail(raw).contains(&mail.text.replace('\n', "\r\n")));
        let eml = outbox_files(dir.path())
            .into_iter()
            .find(|m| m.contains(&format!("<{}@cpts.invalid>", mail.id)))
            .expect("the outbox has the same mail");
        assert_eq!(comparable(raw), comparable(&eml), "same MIME as the outbox");
    }
}

/// A header's value as a reader sees it: folded lines joined, RFC 2047 encoded words
/// (`=?utf-8?b?…?=`, as lettre writes non-ASCII text) decoded.
fn header(raw: &str, name: &str) -> Option<String> {
    use base64::Engine;
    let prefix = format!("{name}: ");
    let mut lines = raw.split("\r\n").skip_while(|l| !l.starts_with(&prefix));
    let mut value = lines.next()?.strip_prefix(&prefix)?.to_string();
    for continuation in lines.take_while(|l| l.starts_with(' ') || l.starts_with('\t')) {
        value.push_str(continuation);
    }
    // Whitespace between two encoded words is dropped; any other is kept (RFC 2047, 6.2).
    let mut out = String::new();
    let mut previous_encoded = false;
    for word in value.split_whitespace() {
        let encoded = word.len() > 12
            && word[..10].eq_ignore_ascii_case("=?utf-8?b?")
            && word.ends_with("?=");
        let joined = encoded && previous_encoded;
        if !out.is_empty() && !joined {
            out.push(' ');
        }
        if encoded {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&word[10..word.len() - 2])
                .unwrap();
            out.push_str(&String::from_utf8(bytes).unwrap());
        } else {
            out.push_str(word);
        }
        previous_encoded = encoded;
    }
    Some(out)
}

#[tokio::test]
async fn unverified_sender_is_an_error_the_mail_stays_pending() {
    let moto = start_moto();
    let mailer = SesMailer::new(client(&moto), FROM, None);
    let error = mailer
        .send(&mails()[0])
        .await
        .expect_err("moto refuses a sender that is not an identity");
    assert!(matches!(error, MailError::Ses { .. }), "{error}");
    assert!(sent_messages(&moto).is_empty());
}
