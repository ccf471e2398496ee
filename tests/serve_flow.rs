//! The whole life of a request on the real `cpts serve` (issue #6), driven as people drive it:
//! through the HTTP routes on 127.0.0.1 and the emails the server writes to its outbox. A patient
//! registers; the coordinator follows her email's link and validates the proposed doctor; the
//! doctor follows his and accepts, then sees the patient's contact details; the patient's email
//! leads to his doctor's name. Then `cpts jobs run` reports on the same data folder, once as
//! today and once eight days later, when an unanswered proposal has expired.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;
/// How long the server may take to build the demo and answer.
const START_TIMEOUT: Duration = Duration::from_secs(240);
/// How long a mail may take to reach the outbox.
const MAIL_TIMEOUT: Duration = Duration::from_secs(30);
const IO_TIMEOUT: Duration = Duration::from_secs(60);

fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn content_dir() -> PathBuf {
    workspace_dir().join("content")
}

/// The `cpts` binary of this workspace, built once with this test's profile into its target
/// folder (Cargo builds a dependency's binaries only for that package's own tests), and copied at
/// once to a folder of this checkout's own, so that a build from another checkout sharing the
/// target folder cannot replace it while the test runs.
fn cpts_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(build_cpts).clone()
}

fn build_cpts() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    // <target>/<profile>/deps/serve_flow-<hash>
    let profile_dir = exe.parent().and_then(Path::parent).expect("profile folder");
    let target_dir = profile_dir.parent().expect("target folder");
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(other) => other,
    };
    let workspace = workspace_dir().canonicalize().unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&workspace)
        .args([
            "build",
            "--quiet",
            "-p",
            "site",
            "--bin",
            "cpts",
            "--profile",
        ])
        .arg(profile)
        .arg("--target-dir")
        .arg(target_dir)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build --bin cpts failed");
    let name = format!("cpts{}", std::env::consts::EXE_SUFFIX);
    let mut hasher = DefaultHasher::new();
    workspace.hash(&mut hasher);
    let own = profile_dir.join(format!("serve-flow-{:016x}", hasher.finish()));
    std::fs::create_dir_all(&own).unwrap();
    let partial = own.join(format!(".{name}.{}", std::process::id()));
    std::fs::copy(profile_dir.join(&name), &partial).expect("copy of the cpts binary");
    let binary = own.join(name);
    std::fs::rename(&partial, &binary).unwrap();
    // Cargo decides freshness by modification times: checkouts sharing a target folder can get
    // each other's build. Say so plainly rather than fail somewhere in the flow.
    let help = Command::new(&binary).arg("--help").output().unwrap();
    assert!(
        String::from_utf8_lossy(&help.stdout).contains("cpts jobs run"),
        "{} is not this checkout's build (a target folder shared with another checkout?): touch site/src/main.rs and run again",
        binary.display()
    );
    binary
}

fn free_port() -> u16 {
    TcpListener::bind((LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// `cpts serve` on a free loopback port with its own data folder; killed when dropped, even when
/// the test fails (its console output is then printed).
struct Server {
    child: Child,
    port: u16,
    data: tempfile::TempDir,
    logs: tempfile::TempDir,
}

impl Server {
    fn start(binary: &Path, content: &Path) -> Self {
        let data = tempfile::tempdir().unwrap();
        let logs = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Command::new(binary)
            .arg("serve")
            .arg("--content")
            .arg(content)
            .arg("--data")
            .arg(data.path())
            .args(["--port", &port.to_string()])
            .env_remove("CPTS_TODAY")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(logs.path().join("stdout")).unwrap())
            .stderr(std::fs::File::create(logs.path().join("stderr")).unwrap())
            .spawn()
            .expect("cpts serve starts");
        let server = Self {
            child,
            port,
            data,
            logs,
        };
        server.wait_until_healthy();
        server
    }

    fn wait_until_healthy(&self) {
        let started = Instant::now();
        loop {
            if let Ok(r) = try_request(self.port, "GET", "/api/health", &[], None)
                && r.status == 200
            {
                return;
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "cpts serve did not answer /api/health within {START_TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// What the server wrote on its error output so far (its log).
    fn log(&self) -> String {
        std::fs::read_to_string(self.logs.path().join("stderr")).unwrap_or_default()
    }

    /// What the server wrote on its standard output so far.
    fn output(&self) -> String {
        std::fs::read_to_string(self.logs.path().join("stdout")).unwrap_or_default()
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn outbox(&self) -> PathBuf {
        self.data.path().join("outbox")
    }

    fn get(&self, path: &str) -> Reply {
        request(self.port, "GET", path, &[], None)
    }

    /// A form POST, as the browser sends it from a page of the site.
    fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let origin = self.origin();
        request(
            self.port,
            "POST",
            path,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", &origin),
            ],
            Some(&body),
        )
    }

    /// The path and query of the link of `mail` that starts with `prefix` (e.g. "/api/demandes/").
    fn link_in(&self, mail: &str, prefix: &str) -> String {
        let start = format!("{}{prefix}", self.origin());
        let line = mail
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(&start))
            .unwrap_or_else(|| panic!("a link {start}… in the mail:\n{mail}"));
        line[self.origin().len()..].to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            for name in ["stdout", "stderr"] {
                let text = std::fs::read_to_string(self.logs.path().join(name)).unwrap_or_default();
                eprintln!("--- cpts serve {name} ---\n{text}");
            }
        }
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A minimal HTTP/1.1 client: one request per connection (`Connection: close`).
fn try_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<Reply> {
    let address = SocketAddr::from((LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or("");
    if method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut payload = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        payload = dechunk(&payload);
    }
    Ok(Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&payload).into_owned(),
    })
}

fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Reply {
    try_request(port, method, path, headers, body)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&rest[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
            .expect("chunk size");
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&rest[start..start + size]);
        rest = &rest[start + size + 2..];
    }
    out
}

#[path = "../functions/tests/common/mail_text.rs"]
mod mail_text;
use mail_text::decode_mail;

/// Waits for `<outbox>/<name>` and returns it decoded.
fn wait_for_mail(outbox: &Path, name: &str) -> String {
    wait_for_mail_within(outbox, name, MAIL_TIMEOUT)
}

fn wait_for_mail_within(outbox: &Path, name: &str, timeout: Duration) -> String {
    let path = outbox.join(name);
    let started = Instant::now();
    loop {
        if let Ok(raw) = std::fs::read_to_string(&path) {
            return decode_mail(&raw);
        }
        assert!(
            started.elapsed() < timeout,
            "no mail {name} within {timeout:?}; outbox: {:?}",
            mail_names(outbox)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn mail_names(outbox: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(outbox)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".eml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The value of the first `name="<name>" value="…"` of a page.
fn field_value(page: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page.find(&marker)? + marker.len();
    Some(page[start..].split('"').next()?.to_string())
}

fn between<'a>(text: &'a str, before: &str, after: &str) -> Option<&'a str> {
    let start = text.find(before)? + before.len();
    let len = text[start..].find(after)?;
    Some(&text[start..start + len])
}

/// Registers a patient of Sedan through the public form's endpoint; returns the reference.
fn register(server: &Server, last_name: &str, first_name: &str, phone: &str) -> String {
    register_in(server, "Sedan (08200)", last_name, first_name, phone)
}

fn register_in(
    server: &Server,
    commune: &str,
    last_name: &str,
    first_name: &str,
    phone: &str,
) -> String {
    let token_reply = server.get("/api/form-token");
    assert_eq!(token_reply.status, 200, "{}", token_reply.body);
    let token = between(&token_reply.body, r#""token":""#, "\"")
        .expect("a form token")
        .to_string();
    // A form sent sooner than this after its token was issued is taken for a robot's.
    let fill = functions::Limits::default().min_fill_seconds;
    std::thread::sleep(Duration::from_secs(u64::try_from(fill).unwrap() + 1));
    let reply = server.post_form(
        "/api/registrations",
        &[
            ("token", &token),
            ("gp_status", "none"),
            ("filled_by", "patient"),
            ("last_name", last_name),
            ("first_name", first_name),
            ("birth_date", "14/07/1950"),
            ("phone", phone),
            ("email", "patient@example.fr"),
            ("call_time", "morning"),
            ("commune", commune),
            ("max_distance", "20"),
            ("home_visits", "no"),
            ("without_gp_since", "1to2y"),
            ("reason", "retired"),
            ("consent", "oui"),
        ],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    let location = reply.header("location").expect("Location").to_string();
    let reference = location
        .strip_prefix("/api/registrations/")
        .and_then(|r| r.strip_suffix("/merci"))
        .unwrap_or_else(|| panic!("thank-you page, not {location}"))
        .to_string();
    let thanks = server.get(&location);
    assert_eq!(thanks.status, 200);
    assert!(thanks.body.contains(&reference), "{}", thanks.body);
    reference
}

/// `cpts jobs run` on the server's data folder; `today` fixes CPTS_TODAY.
fn jobs_run(binary: &Path, server: &Server, today: Option<chrono::NaiveDate>) -> Output {
    let mut command = Command::new(binary);
    command
        .args(["jobs", "run", "--content"])
        .arg(content_dir())
        .arg("--data")
        .arg(server.data.path())
        .args(["--port", &server.port.to_string()])
        .env_remove("CPTS_TODAY")
        .stdin(Stdio::null());
    if let Some(day) = today {
        command.env("CPTS_TODAY", day.to_string());
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cpts jobs run starts");
    let started = Instant::now();
    while child.try_wait().expect("jobs run status").is_none() {
        if started.elapsed() > IO_TIMEOUT {
            let _ = child.kill();
            panic!("cpts jobs run did not end within {IO_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().expect("jobs run output")
}

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

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
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
