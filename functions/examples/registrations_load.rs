//! Load benchmark of the registration endpoint: N concurrent clients on loopback post complete,
//! valid forms to a running `cpts serve`, each request from its own connection and its own source
//! address (127.x.y.z) with its own phone number, so the real abuse limits stay on and are counted
//! in the cost. Bounded in count and time; prints registrations per second and latencies.
//!
//!     cargo run --release -p functions --example registrations_load -- \
//!         --port 8790 --clients 50 --count 20000 --seconds 60
//!
//! (`scripts/bench-registrations.sh` starts the server and runs this.) Through a TLS reverse proxy
//! (`scripts/bench-production.sh`): `--tls-root CA.pem` speaks HTTPS, trusting that root only, and
//! `--origin https://127.0.0.1:8443` is the site's address the forms come from.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

struct Options {
    port: u16,
    clients: usize,
    count: usize,
    seconds: u64,
    /// Registrations per second offered in all (0: each client sends as soon as it has an answer).
    rate: u64,
    /// The first visitor's number: each run of one benchmark gives its visitors new phone
    /// numbers and addresses, so the real limits (3 forms a day per phone) never refuse them.
    first: usize,
    /// HTTPS, trusting only this root certificate (PEM).
    tls_root: Option<String>,
    /// The site's address, sent as the forms' Origin (the handler refuses other origins).
    origin: Option<String>,
}

fn options() -> Options {
    let mut o = Options {
        port: 8790,
        clients: 50,
        count: 20_000,
        seconds: 60,
        rate: 0,
        first: 0,
        tls_root: None,
        origin: None,
    };
    let usage = || -> ! {
        eprintln!(
            "usage: --port N --clients N --count N --seconds N [--rate N] [--first N] [--tls-root CA.pem] [--origin URL]"
        );
        std::process::exit(2)
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let text = pair.get(1).cloned().unwrap_or_else(|| usage());
        match pair[0].as_str() {
            "--tls-root" => {
                o.tls_root = Some(text);
                continue;
            }
            "--origin" => {
                o.origin = Some(text);
                continue;
            }
            _ => {}
        }
        let value = text.parse::<u64>().unwrap_or_else(|_| usage());
        match pair[0].as_str() {
            "--port" => o.port = value as u16,
            "--clients" => o.clients = value as usize,
            "--count" => o.count = value as usize,
            "--seconds" => o.seconds = value,
            "--rate" => o.rate = value,
            "--first" => o.first = value as usize,
            other => {
                eprintln!("unknown option {other}");
                std::process::exit(2)
            }
        }
    }
    o
}

/// The i-th client's own loopback address: 127.1.0.1, 127.1.0.2, … (never 127.0.0.1).
fn source(i: usize) -> IpAddr {
    let n = i as u32 + 1;
    IpAddr::V4(Ipv4Addr::new(
        127,
        1 + (n >> 16) as u8,
        (n >> 8) as u8,
        n as u8,
    ))
}

/// A TLS client that trusts only the root certificate in `pem` (the proxy's internal CA).
fn tls_connector(pem: &str) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(pem).expect("root certificate file") {
        roots
            .add(cert.expect("PEM certificate"))
            .expect("root certificate");
    }
    let config = ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// Reads the answer to its end. A TLS peer that closes without `close_notify` after the whole
/// answer (`Connection: close`) is not an error here.
async fn read_answer(
    stream: &mut (impl AsyncReadExt + Unpin),
    response: &mut Vec<u8>,
) -> std::io::Result<()> {
    match stream.read_to_end(response).await {
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !response.is_empty() => Ok(()),
        other => other.map(|_| ()),
    }
}

/// One request on a fresh connection (and a fresh TLS session with `tls`, as each visitor's
/// phone opens one); returns the status code and the body.
async fn exchange(
    server: SocketAddr,
    from: IpAddr,
    raw: &[u8],
    tls: Option<&TlsConnector>,
) -> std::io::Result<(u16, String)> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    let mut stream = socket.connect(server).await?;
    stream.set_nodelay(true)?;
    let mut response = Vec::with_capacity(1024);
    match tls {
        Some(connector) => {
            let name = ServerName::IpAddress(server.ip().into());
            let mut stream = connector.connect(name, stream).await?;
            stream.write_all(raw).await?;
            read_answer(&mut stream, &mut response).await?;
        }
        None => {
            stream.write_all(raw).await?;
            read_answer(&mut stream, &mut response).await?;
        }
    }
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_string());
    Ok((status, body))
}

fn form(i: usize, token: &str, port: u16, origin: &str) -> Vec<u8> {
    let phone = format!("06{:08}", i);
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("gp_status", "none")
        .append_pair("filled_by", "patient")
        .append_pair("last_name", "Dupré")
        .append_pair("first_name", "Léa")
        .append_pair("birth_date", "14/07/1950")
        .append_pair("phone", &phone)
        .append_pair("call_time", "any")
        .append_pair("commune", "Sedan (08200)")
        .append_pair("max_distance", "20")
        .append_pair("home_visits", "no")
        .append_pair("without_gp_since", "1to2y")
        .append_pair("reason", "retired")
        .append_pair("ald", "oui")
        .append_pair("consent", "oui")
        .append_pair("website", "")
        .append_pair("token", token)
        .finish();
    format!(
        "POST /api/registrations HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {origin}\r\nSec-Fetch-Site: same-origin\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() {
    let o = options();
    let server = SocketAddr::from(([127, 0, 0, 1], o.port));
    let tls = o.tls_root.as_deref().map(tls_connector).map(Arc::new);
    let origin: Arc<str> = o
        .origin
        .clone()
        .unwrap_or_else(|| format!("http://127.0.0.1:{}", o.port))
        .into();

    // 1. Untimed: one signed form token per registration, as the page's script gets it.
    let tokens: Arc<Vec<std::sync::Mutex<String>>> = Arc::new(
        (0..o.count)
            .map(|_| std::sync::Mutex::new(String::new()))
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let get = format!(
        "GET /api/form-token HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
        o.port
    );
    let mut tasks = Vec::new();
    for _ in 0..o.clients {
        let (tokens, next, get) = (Arc::clone(&tokens), Arc::clone(&next), get.clone());
        let tls = tls.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= tokens.len() {
                    break;
                }
                let (status, body) = exchange(
                    server,
                    IpAddr::V4(Ipv4Addr::LOCALHOST),
                    get.as_bytes(),
                    tls.as_deref(),
                )
                .await
                .expect("form token");
                assert_eq!(status, 200, "form token: {body}");
                let token = body
                    .split("\"token\":\"")
                    .nth(1)
                    .and_then(|s| s.split('"').next())
                    .expect("token in the answer")
                    .to_string();
                *tokens[i].lock().unwrap() = token;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // Forms sent sooner than the minimum fill time (3 s) would be taken for robots.
    tokio::time::sleep(Duration::from_millis(4100)).await;

    // 2. Timed: the registrations.
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(o.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..o.clients {
        let (tokens, next) = (Arc::clone(&tokens), Arc::clone(&next));
        let (port, rate, first) = (o.port, o.rate, o.first);
        let (tls, origin) = (tls.clone(), Arc::clone(&origin));
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= tokens.len() || Instant::now() >= deadline {
                    break;
                }
                let token = tokens[i].lock().unwrap().clone();
                let visitor = first + i;
                let raw = form(visitor, &token, port, &origin);
                // Paced: request i is due at i / rate; its latency counts from then, so a late
                // answer delays nothing unseen (no coordinated omission).
                let sent = if rate > 0 {
                    let due = started + Duration::from_secs_f64(i as f64 / rate as f64);
                    tokio::time::sleep_until(due.into()).await;
                    due
                } else {
                    Instant::now()
                };
                match exchange(server, source(visitor), &raw, tls.as_deref()).await {
                    Ok((303, _)) => latencies.push(sent.elapsed()),
                    Ok((status, body)) => {
                        failures += 1;
                        if failures == 1 {
                            eprintln!("unexpected {status}: {}", &body[..body.len().min(200)]);
                        }
                    }
                    Err(e) => {
                        failures += 1;
                        if failures == 1 {
                            eprintln!("connection error: {e}");
                        }
                    }
                }
            }
            (latencies, failures)
        }));
    }
    let mut latencies = Vec::new();
    let mut failures = 0;
    for t in tasks {
        let (l, f) = t.await.unwrap();
        latencies.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "registrations: {} stored in {:.2} s with {} concurrent clients{} ({} failed)",
        latencies.len(),
        elapsed.as_secs_f64(),
        o.clients,
        if o.rate > 0 {
            format!(", offered {}/s", o.rate)
        } else {
            ", each sending as fast as answered".to_string()
        },
        failures
    );
    println!(
        "throughput: {:.0} registrations/s",
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 90.0)),
        ms(percentile(&latencies, 99.0)),
        ms(latencies.last().copied().unwrap_or_default())
    );
    if failures > 0 {
        std::process::exit(1);
    }
}
