//! The production listener on 127.0.0.1, with real sockets: slow clients are cut off while the
//! site keeps answering, the connection limit holds, shutdown lets a request finish, and
//! `X-Forwarded-For` is believed only from a trusted proxy.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request};
use axum::routing::{get, post};
use site::listener::{self, Limits, TrustedProxies};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// Far longer than anything here should take, so a slow machine does not fail the tests.
const GENEROUS: Duration = Duration::from_secs(20);

fn router() -> Router {
    Router::new()
        .route("/", get(|| async { "ok" }))
        .route(
            "/echo",
            post(|body: Bytes| async move { format!("{} octets", body.len()) }),
        )
        .route(
            "/client",
            get(|request: Request| async move { functions::web::client::of(&request) }),
        )
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(500)).await;
                "fini"
            }),
        )
}

struct Server {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

async fn start(limits: Limits, proxies: TrustedProxies) -> Server {
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = tcp.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(listener::serve(
        tcp,
        router(),
        limits,
        proxies,
        async move {
            let _ = stopped.await;
        },
    ));
    Server {
        address,
        stop: Some(stop),
        task,
    }
}

fn short_limits() -> Limits {
    Limits {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(30),
        max_connections: 1024,
        shutdown_timeout: Duration::from_secs(5),
    }
}

/// Everything the server sends until it closes (or `GENEROUS` passes: then `None`).
async fn read_to_close(stream: &mut TcpStream) -> Option<String> {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let result = timeout(GENEROUS, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    result
        .ok()
        .map(|()| String::from_utf8_lossy(&received).into_owned())
}

/// Reads one response whose body ends with `end`.
async fn read_response(stream: &mut TcpStream, end: &str) -> String {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    timeout(GENEROUS, async {
        while !String::from_utf8_lossy(&received).ends_with(end) {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before the end of the response");
            received.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("a response in time");
    String::from_utf8_lossy(&received).into_owned()
}

async fn get_from(stream: &mut TcpStream, path: &str, headers: &str) -> String {
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    read_to_close(stream).await.expect("an answer in time")
}

async fn fetch(address: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    get_from(&mut stream, path, "").await
}

fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_connections_are_cut_off_and_the_site_keeps_answering() {
    let server = start(short_limits(), TrustedProxies::none()).await;
    // 300 clients that send half a request line, then nothing.
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut stream = TcpStream::connect(server.address).await.unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\nHo").await.unwrap();
        slow.push(stream);
    }
    let answer = fetch(server.address, "/").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(body(&answer), "ok");
    // The server closes each of them once the header timeout has passed.
    let waits: Vec<_> = slow
        .into_iter()
        .map(|mut stream| tokio::spawn(async move { read_to_close(&mut stream).await.is_some() }))
        .collect();
    let mut closed = 0;
    for wait in waits {
        if wait.await.unwrap() {
            closed += 1;
        }
    }
    assert_eq!(closed, 300, "slow connections closed by the server");
    // And it still answers.
    assert_eq!(body(&fetch(server.address, "/").await), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_gets_a_408_and_the_connection_is_closed() {
    let server = start(short_limits(), TrustedProxies::none()).await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n0123456789")
        .await
        .unwrap();
    let answer = read_to_close(&mut stream)
        .await
        .expect("the server ends the request");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(body(&answer).contains("trop lentement"), "{answer}");
    // A complete body is still read.
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789")
        .await
        .unwrap();
    let answer = read_to_close(&mut stream).await.unwrap();
    assert_eq!(body(&answer), "10 octets", "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_trickling_in_is_ended_at_its_deadline() {
    // One byte every 100 ms never leaves a second of silence: a timeout reset by each byte would
    // wait for all 1 000 bytes (100 s). The deadline counts from the headers.
    let server = start(short_limits(), TrustedProxies::none()).await;
    let stream = TcpStream::connect(server.address).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    write
        .write_all(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n")
        .await
        .unwrap();
    let trickle = tokio::spawn(async move {
        for _ in 0..1000 {
            if write.write_all(b"x").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    let _ = timeout(GENEROUS, async {
        while !String::from_utf8_lossy(&received).contains("\r\n\r\n") {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    trickle.abort();
    let answer = String::from_utf8_lossy(&received);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_limit_a_connection_waits_for_a_place() {
    let limits = Limits {
        header_timeout: Duration::from_secs(60),
        idle_timeout: Duration::from_secs(60),
        max_connections: 4,
        ..short_limits()
    };
    let server = start(limits, TrustedProxies::none()).await;
    // Four kept-alive connections, each served once: they hold the four places.
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(server.address).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap();
        let answer = read_response(&mut stream, "ok").await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        held.push(stream);
    }
    // A fifth: the kernel takes it, the server does not serve it yet.
    let mut fifth = TcpStream::connect(server.address).await.unwrap();
    fifth
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    assert!(
        timeout(Duration::from_millis(500), fifth.read(&mut buf))
            .await
            .is_err(),
        "the fifth connection is served past the limit"
    );
    // One of the four leaves: the fifth is served.
    drop(held.pop());
    let answer = read_to_close(&mut fifth)
        .await
        .expect("served once a place is free");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(body(&answer), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_the_request_under_way_finish() {
    let mut server = start(short_limits(), TrustedProxies::none()).await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    stream
        .write_all(b"GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    // Let the request reach the handler, then stop the server.
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.stop.take().unwrap().send(()).unwrap();
    let answer = read_to_close(&mut stream)
        .await
        .expect("closed after the answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(body(&answer), "fini");
    timeout(GENEROUS, server.task)
        .await
        .expect("serve returns")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(server.address).await.is_err(),
        "still listening"
    );
}

async fn connect_from(source: [u8; 4], server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::from((source, 0)))
        .expect("the whole of 127.0.0.0/8 is loopback on Linux");
    socket.connect(server).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
    let server = start(short_limits(), TrustedProxies::parse("127.0.0.1").unwrap()).await;
    let spoofed = "X-Forwarded-For: 198.51.100.7, 203.0.113.9\r\n";

    // Through the trusted proxy: the address it appended (the visitor's own header is left of it).
    let mut proxy = connect_from([127, 0, 0, 1], server.address).await;
    assert_eq!(
        body(&get_from(&mut proxy, "/client", spoofed).await),
        "203.0.113.9"
    );
    // The proxy without the header: the proxy.
    let mut proxy = connect_from([127, 0, 0, 1], server.address).await;
    assert_eq!(
        body(&get_from(&mut proxy, "/client", "").await),
        "127.0.0.1"
    );
    // Garbage from the proxy: the proxy.
    let mut proxy = connect_from([127, 0, 0, 1], server.address).await;
    assert_eq!(
        body(&get_from(&mut proxy, "/client", "X-Forwarded-For: unknown\r\n").await),
        "127.0.0.1"
    );

    // Straight from a visitor (127.0.0.2 is no proxy): her header is ignored.
    let mut visitor = connect_from([127, 0, 0, 2], server.address).await;
    assert_eq!(
        body(&get_from(&mut visitor, "/client", spoofed).await),
        "127.0.0.2"
    );
    // And the TCP peer is still there for axum's ConnectInfo.
    let mut visitor = connect_from([127, 0, 0, 2], server.address).await;
    assert_eq!(
        body(&get_from(&mut visitor, "/peer", spoofed).await),
        "127.0.0.2"
    );

    // Trusting nobody (cpts serve): the header is ignored even from 127.0.0.1.
    let server = start(short_limits(), TrustedProxies::none()).await;
    let mut proxy = connect_from([127, 0, 0, 1], server.address).await;
    assert_eq!(
        body(&get_from(&mut proxy, "/client", spoofed).await),
        "127.0.0.1"
    );
}
