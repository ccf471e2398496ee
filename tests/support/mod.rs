//! What the end-to-end tests share: the `cpts` binary of this checkout, the server it starts
//! (`cpts serve`, or `cpts run` behind an optional TLS proxy) killed when dropped, a minimal
//! HTTP/1.1 client, the outbox's mails and a registration through the public form.
#![allow(dead_code)]

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;
/// How long the server may take to build the demo and answer.
pub const START_TIMEOUT: Duration = Duration::from_secs(240);
/// How long a mail may take to reach the outbox.
pub const MAIL_TIMEOUT: Duration = Duration::from_secs(30);
pub const IO_TIMEOUT: Duration = Duration::from_secs(60);

pub fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn content_dir() -> PathBuf {
    workspace_dir().join("content")
}

/// The `cpts` binary of this workspace, built once with this test's profile into its target
/// folder (Cargo builds a dependency's binaries only for that package's own tests), and copied at
/// once to a folder of this checkout's own, so that a build from another checkout sharing the
/// target folder cannot replace it while the test runs.
pub fn cpts_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(build_cpts).clone()
}

pub fn build_cpts() -> PathBuf {
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

pub fn free_port() -> u16 {
    TcpListener::bind((LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// `cpts serve` (or `cpts run`) on a free loopback port with its own data folder; killed when
/// dropped, even when the test fails (its console output is then printed).
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub data: tempfile::TempDir,
    logs: tempfile::TempDir,
    /// What links in mails and the forms' `Origin` start with.
    origin: String,
    /// Requests go to the server itself, or through a TLS reverse proxy in front of it.
    via: Via,
}

pub enum Via {
    Direct,
    /// HTTPS to `port` on 127.0.0.1, trusting `config`'s roots.
    Tls {
        port: u16,
        config: Arc<rustls::ClientConfig>,
        /// The visitor's own address on loopback (127.0.0.0/8): the proxy forwards it.
        source: Ipv4Addr,
    },
}

impl Server {
    pub fn start(binary: &Path, content: &Path) -> Self {
        let port = free_port();
        let server = Self::spawn(
            binary,
            &["serve", "--content"],
            content,
            &["--port", &port.to_string()],
            port,
            format!("http://127.0.0.1:{port}"),
        );
        server.wait_until_healthy();
        server
    }

    /// `cpts run` on 127.0.0.1:`port` with `content`, whose `base_url` is `origin`; not waited
    /// for (it may refuse to start).
    pub fn spawn_production(
        binary: &Path,
        content: &Path,
        port: u16,
        origin: &str,
        extra: &[&str],
    ) -> Self {
        let listen = format!("127.0.0.1:{port}");
        let mut args = vec!["--listen", listen.as_str()];
        args.extend_from_slice(extra);
        Self::spawn(
            binary,
            &["run", "--content"],
            content,
            &args,
            port,
            origin.to_string(),
        )
    }

    fn spawn(
        binary: &Path,
        command: &[&str],
        content: &Path,
        args: &[&str],
        port: u16,
        origin: String,
    ) -> Self {
        let data = tempfile::tempdir().unwrap();
        let logs = tempfile::tempdir().unwrap();
        let child = Command::new(binary)
            .args(command)
            .arg(content)
            .arg("--data")
            .arg(data.path())
            .args(args)
            .env_remove("CPTS_TODAY")
            .env_remove("CPTS_SMTP_HOST")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(logs.path().join("stdout")).unwrap())
            .stderr(std::fs::File::create(logs.path().join("stderr")).unwrap())
            .spawn()
            .expect("cpts starts");
        Self {
            child,
            port,
            data,
            logs,
            origin,
            via: Via::Direct,
        }
    }

    /// From now on, requests go through the TLS proxy at 127.0.0.1:`port`.
    /// Later requests through the TLS proxy come from `source` (127.0.0.0/8).
    pub fn visit_from(&mut self, visitor: Ipv4Addr) {
        if let Via::Tls { source, .. } = &mut self.via {
            *source = visitor;
        }
    }

    pub fn through_tls(&mut self, port: u16, config: Arc<rustls::ClientConfig>) {
        self.via = Via::Tls {
            port,
            config,
            source: LOCALHOST,
        };
    }

    /// Sends `signal` (e.g. "HUP") to the server.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits until the server's log contains `text`, at most `timeout`.
    pub fn wait_for_log(&self, text: &str, timeout: Duration) {
        let started = Instant::now();
        while !self.log().contains(text) {
            assert!(
                started.elapsed() < timeout,
                "no « {text} » within {timeout:?} in the log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn wait_until_healthy(&self) {
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
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.logs.path().join("stderr")).unwrap_or_default()
    }

    /// What the server wrote on its standard output so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(self.logs.path().join("stdout")).unwrap_or_default()
    }

    pub fn origin(&self) -> String {
        self.origin.clone()
    }

    pub fn outbox(&self) -> PathBuf {
        self.data.path().join("outbox")
    }

    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], None)
    }

    /// A request to the server, directly or through its TLS proxy.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        match &self.via {
            Via::Direct => request(self.port, method, path, headers, body),
            Via::Tls {
                port,
                config,
                source,
            } => tls_request_from(
                *source,
                *port,
                Arc::clone(config),
                method,
                path,
                headers,
                body,
            )
            .unwrap_or_else(|e| panic!("{method} {path} over TLS from {source}: {e}")),
        }
    }

    /// A form POST, as the browser sends it from a page of the site.
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let origin = self.origin();
        self.request(
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
    pub fn link_in(&self, mail: &str, prefix: &str) -> String {
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
                eprintln!("--- cpts {name} ---\n{text}");
            }
        }
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A minimal HTTP/1.1 client: one request per connection (`Connection: close`).
pub fn try_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<Reply> {
    let address = SocketAddr::from((LOCALHOST, port));
    let stream = TcpStream::connect_timeout(&address, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    exchange(stream, port, method, path, headers, body)
}

/// The same request over TLS to 127.0.0.1:`port` (the certificate must be valid for 127.0.0.1
/// under one of `config`'s roots).
pub fn tls_request(
    port: u16,
    config: Arc<rustls::ClientConfig>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<Reply> {
    tls_request_from(LOCALHOST, port, config, method, path, headers, body)
}

/// [`tls_request`] from the loopback address `source` (any of 127.0.0.0/8), as a visitor of
/// her own address.
pub fn tls_request_from(
    source: Ipv4Addr,
    port: u16,
    config: Arc<rustls::ClientConfig>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<Reply> {
    let address = SocketAddr::from((LOCALHOST, port));
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.bind(&SocketAddr::from((source, 0)).into())?;
    socket.connect_timeout(&address.into(), IO_TIMEOUT)?;
    let tcp: TcpStream = socket.into();
    tcp.set_read_timeout(Some(IO_TIMEOUT))?;
    tcp.set_write_timeout(Some(IO_TIMEOUT))?;
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("an IP address");
    let connection = rustls::ClientConnection::new(config, name).map_err(std::io::Error::other)?;
    exchange(
        rustls::StreamOwned::new(connection, tcp),
        port,
        method,
        path,
        headers,
        body,
    )
}

/// A TLS client configuration trusting only the PEM certificate at `root` (ring provider).
pub fn trusting(root: &Path) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let mut roots = rustls::RootCertStore::empty();
    let certificate =
        CertificateDer::from_pem_file(root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    roots.add(certificate).expect("a root certificate");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    Arc::new(config)
}

fn exchange(
    mut stream: impl Read + Write,
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> std::io::Result<Reply> {
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
    stream.flush()?;
    let mut raw = Vec::new();
    // A TLS peer closing without close_notify still sent its whole answer.
    match stream.read_to_end(&mut raw) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => {}
        Err(e) => return Err(e),
    }
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

pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Reply {
    try_request(port, method, path, headers, body)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

pub fn dechunk(mut rest: &[u8]) -> Vec<u8> {
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

#[path = "../../functions/tests/common/mail_text.rs"]
mod mail_text;
pub use mail_text::decode_mail;

/// Waits for `<outbox>/<name>` and returns it decoded.
pub fn wait_for_mail(outbox: &Path, name: &str) -> String {
    wait_for_mail_within(outbox, name, MAIL_TIMEOUT)
}

pub fn wait_for_mail_within(outbox: &Path, name: &str, timeout: Duration) -> String {
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

pub fn mail_names(outbox: &Path) -> Vec<String> {
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
pub fn field_value(page: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page.find(&marker)? + marker.len();
    Some(page[start..].split('"').next()?.to_string())
}

pub fn between<'a>(text: &'a str, before: &str, after: &str) -> Option<&'a str> {
    let start = text.find(before)? + before.len();
    let len = text[start..].find(after)?;
    Some(&text[start..start + len])
}

/// Registers a patient of Sedan through the public form's endpoint; returns the reference.
/// A complete form from Léa Dupré of Sedan, with `token` and `phone`.
pub fn registration_fields(token: &str, phone: &str) -> Vec<(&'static str, String)> {
    [
        ("token", token),
        ("gp_status", "none"),
        ("filled_by", "patient"),
        ("last_name", "Dupré"),
        ("first_name", "Léa"),
        ("birth_date", "14/07/1950"),
        ("phone", phone),
        ("commune", "Sedan (08200)"),
        ("email", "patient@example.fr"),
        ("call_time", "morning"),
        ("max_distance", "20"),
        ("home_visits", "no"),
        ("without_gp_since", "1to2y"),
        ("reason", "retired"),
        ("consent", "oui"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}

pub fn register(server: &Server, last_name: &str, first_name: &str, phone: &str) -> String {
    register_in(server, "Sedan (08200)", last_name, first_name, phone)
}

pub fn register_in(
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
    let mut fields = registration_fields(&token, phone);
    for (name, value) in &mut fields {
        match *name {
            "last_name" => *value = last_name.to_string(),
            "first_name" => *value = first_name.to_string(),
            "commune" => *value = commune.to_string(),
            _ => {}
        }
    }
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let reply = server.post_form("/api/registrations", &fields);
    assert_eq!(reply.status, 303, "{}", reply.body);
    let location = reply.header("location").expect("Location").to_string();
    let reference = location
        .strip_prefix("/api/registrations/")
        .and_then(|r| r.split_once("/merci?jeton="))
        .map(|(reference, _)| reference)
        .unwrap_or_else(|| panic!("thank-you page, not {location}"))
        .to_string();
    let thanks = server.get(&location);
    assert_eq!(thanks.status, 200);
    assert!(thanks.body.contains(&reference), "{}", thanks.body);
    reference
}

/// `cpts jobs run` on the server's data folder; `today` fixes CPTS_TODAY.
pub fn jobs_run(binary: &Path, server: &Server, today: Option<chrono::NaiveDate>) -> Output {
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

pub fn copy_dir(from: &Path, to: &Path) {
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
