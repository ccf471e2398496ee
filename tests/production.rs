//! `cpts run`, the production server, as a CPTS runs it on one machine: the links in its mails
//! start with `base_url`, its pages carry no live reload, `SIGHUP` republishes the content (and a
//! broken content keeps the site online), a `base_url` without https is refused — and the whole
//! path through Caddy over HTTPS with its internal certificate authority, as in production.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::*;

/// A copy of the demo content whose `base_url` is `base_url`.
fn content_with_base_url(base_url: &str) -> tempfile::TempDir {
    let content = tempfile::tempdir().unwrap();
    copy_dir(&content_dir(), content.path());
    let path = content.path().join("site.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let replaced: String = text
        .lines()
        .map(|l| {
            if l.starts_with("base_url") {
                format!("base_url = \"{base_url}\"\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert_ne!(text, replaced, "site.toml has a base_url line");
    std::fs::write(&path, replaced).unwrap();
    content
}

/// The lines of `mail` that are links, each checked to start with `origin`.
fn assert_links_start_with(mail: &str, origin: &str) {
    let links: Vec<&str> = mail
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("http://") || l.starts_with("https://"))
        .collect();
    assert!(!links.is_empty(), "no link in the mail:\n{mail}");
    for link in links {
        assert!(
            link.starts_with(origin),
            "{link} does not start with {origin}"
        );
    }
}

/// The requests stored in the server's SQLite database.
fn count_with_store(data: &Path) -> i64 {
    let store = functions::store::SqliteStore::open(&data.join("cpts.sqlite")).unwrap();
    i64::try_from(store.request_count().unwrap()).unwrap()
}

#[test]
fn cpts_run_mails_links_to_base_url_serves_no_live_reload_and_republishes_on_sighup() {
    let binary = cpts_binary();
    let port = free_port();
    let base_url = format!("http://127.0.0.1:{port}");
    let content = content_with_base_url(&base_url);
    let server = Server::spawn_production(&binary, content.path(), port, &base_url, &[]);
    server.wait_until_healthy();
    assert!(server.log().contains(&base_url), "{}", server.log());

    let reference = register(&server, "Durand", "Jeanne", "06 11 22 33 44");
    let mail = wait_for_mail(&server.outbox(), &format!("{reference}-coordination.eml"));
    assert_links_start_with(&mail, &base_url);
    assert_eq!(count_with_store(server.data.path()), 1);

    // A production page: no live-reload script, no version endpoint, the security headers.
    let home = server.get("/");
    assert_eq!(home.status, 200);
    assert!(!home.body.contains("__cpts"), "{}", home.body);
    assert!(home.header("content-security-policy").is_some());
    assert_eq!(server.get("/__cpts/version").status, 404);
    assert_eq!(server.get("/__cpts/reload.js").status, 404);
    // A folder without its slash goes to itself with one; never to another host.
    for path in ["/carte", "//carte"] {
        let reply = server.get(path);
        assert!(
            matches!(reply.status, 301 | 307 | 308),
            "{path}: {}",
            reply.status
        );
        assert_eq!(reply.header("location"), Some("/carte/"), "{path}");
    }
    let missing = server.get("/nulle-part/");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("<html"), "the site's 404 page");

    // The content changes: nothing moves until SIGHUP (no file watcher), then the site has it.
    let page = content.path().join("pages/_index.md");
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(
        &page,
        format!("{text}\nPhrase ajoutée pour la republication.\n"),
    )
    .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    assert!(!server.get("/").body.contains("Phrase ajoutée"));
    server.signal("HUP");
    server.wait_for_log("Site republié", START_TIMEOUT);
    assert!(server.get("/").body.contains("Phrase ajoutée"));

    // A broken content: the rebuild fails, the previous site stays online and the log says so.
    std::fs::write(
        content.path().join("pages/casse.md"),
        "+++\ntitle = \n+++\n",
    )
    .unwrap();
    server.signal("HUP");
    server.wait_for_log("le site précédent reste en ligne", START_TIMEOUT);
    let home = server.get("/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Phrase ajoutée"));
    assert_eq!(server.get("/api/health").status, 200);
}

#[test]
fn cpts_run_refuses_a_base_url_without_https_and_a_missing_data_folder() {
    let binary = cpts_binary();
    let content = content_with_base_url("http://medecin-traitant-ardennes.example.org");
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let output = Command::new(&binary)
        .args(["run", "--content"])
        .arg(content.path())
        .arg("--data")
        .arg(data.path())
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("base_url") && message.contains("https://"),
        "{message}"
    );

    let output = Command::new(&binary)
        .args(["run", "--content"])
        .arg(content_dir())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("--data"), "{message}");
}

/// `caddy run` with a Caddyfile of its own in a temporary folder, killed when dropped.
struct Caddy {
    child: Child,
    dir: tempfile::TempDir,
}

impl Caddy {
    /// Caddy on 127.0.0.1:`port` with its internal certificate authority, in front of
    /// 127.0.0.1:`upstream`; it installs nothing in the system's trust store, has no admin
    /// endpoint and reaches nothing outside this machine.
    fn start(port: u16, upstream: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().join("storage");
        let http_port = free_port();
        let caddyfile = format!(
            "{{
\tadmin off
\tauto_https disable_redirects
\tskip_install_trust
\thttp_port {http_port}
\thttps_port {port}
\tdefault_sni 127.0.0.1
\tstorage file_system {{
\t\troot {storage}
\t}}
}}

https://127.0.0.1:{port} {{
\ttls internal
\treverse_proxy 127.0.0.1:{upstream} {{
\t\ttransport http {{
\t\t\tkeepalive 5s
\t\t}}
\t}}
}}
",
            storage = storage.display()
        );
        let config = dir.path().join("Caddyfile");
        std::fs::write(&config, caddyfile).unwrap();
        let child = Command::new("caddy")
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&config)
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path().join("stdout")).unwrap())
            .stderr(std::fs::File::create(dir.path().join("stderr")).unwrap())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("caddy does not start ({e}): install Debian's caddy package (scripts/test.sh does)")
            });
        Self { child, dir }
    }

    /// The root certificate of Caddy's internal authority, once Caddy wrote it.
    fn root(&self) -> PathBuf {
        let root = self
            .dir
            .path()
            .join("storage/pki/authorities/local/root.crt");
        let started = Instant::now();
        while !root.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "Caddy wrote no root certificate:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        root
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr")).unwrap_or_default()
    }
}

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- caddy stderr ---\n{}", self.log());
        }
    }
}

#[test]
fn a_registration_through_caddy_over_https_reaches_cpts_run() {
    let binary = cpts_binary();
    let (cpts_port, caddy_port) = (free_port(), free_port());
    let base_url = format!("https://127.0.0.1:{caddy_port}");
    let content = content_with_base_url(&base_url);
    let caddy = Caddy::start(caddy_port, cpts_port);
    let mut server = Server::spawn_production(
        &binary,
        content.path(),
        cpts_port,
        &base_url,
        &["--trusted-proxy", "127.0.0.1"],
    );
    server.wait_until_healthy();
    let tls = trusting(&caddy.root());
    // Caddy may still be loading its certificate: wait for a first answer over HTTPS.
    let started = Instant::now();
    while tls_request(caddy_port, tls.clone(), "GET", "/api/health", &[], None)
        .map(|r| r.status)
        .unwrap_or(0)
        != 200
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no answer through Caddy:\n{}",
            caddy.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    server.through_tls(caddy_port, tls);

    let home = server.get("/inscription/");
    assert_eq!(home.status, 200, "{}", home.body);
    // register() checks the thank-you page, reached through Caddy.
    let reference = register(&server, "Durand", "Jeanne", "06 11 22 33 44");
    assert_eq!(count_with_store(server.data.path()), 1);
    let mail = wait_for_mail(&server.outbox(), &format!("{reference}-coordination.eml"));
    assert_links_start_with(&mail, &base_url);
    // The coordinator's link opens through Caddy.
    let page = server.get(&server.link_in(&mail, "/api/demandes/"));
    assert_eq!(page.status, 200, "{}", page.body);

    // Each visitor is counted under her own address, which Caddy forwards and `cpts run`
    // believes from 127.0.0.1 only: one visitor's forms stop at the hourly limit, her
    // neighbour's still go through. Were every visitor counted as Caddy (127.0.0.1, which sent
    // the first form above), the limit would come one form sooner and stop the neighbour too.
    let limit = functions::Limits::default().per_address_per_hour as usize;
    let tokens: Vec<String> = (0..limit + 2)
        .map(|_| {
            let reply = server.get("/api/form-token");
            between(&reply.body, r#""token":""#, "\"")
                .expect("a form token")
                .to_string()
        })
        .collect();
    let fill = functions::Limits::default().min_fill_seconds;
    std::thread::sleep(Duration::from_secs(u64::try_from(fill).unwrap() + 1));
    let send = |server: &Server, token: &str, n: usize| {
        let phone = format!("06 11 22 {:02} {:02}", n / 100, n % 100);
        let fields = registration_fields(token, &phone);
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        server.post_form("/api/registrations", &fields).status
    };
    server.visit_from(Ipv4Addr::new(127, 0, 0, 9));
    for (n, token) in tokens[..limit].iter().enumerate() {
        assert_eq!(
            send(&server, token, n),
            303,
            "form {n} of the first visitor"
        );
    }
    assert_eq!(
        send(&server, &tokens[limit], limit),
        429,
        "the first visitor's form past the limit"
    );
    server.visit_from(Ipv4Addr::new(127, 0, 0, 10));
    assert_eq!(
        send(&server, &tokens[limit + 1], limit + 1),
        303,
        "her neighbour's form"
    );
    assert_eq!(count_with_store(server.data.path()), limit as i64 + 2);
}
