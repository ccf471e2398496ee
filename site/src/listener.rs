//! The server's connections, for a server that faces the Internet (directly or behind a reverse
//! proxy): `axum::serve` sets no timeout at all, so a few hundred clients that open a connection
//! and send nothing (or one byte at a time) hold the server for ever. Here each connection has:
//!
//! - a deadline for the request's headers (hyper's header read timeout; it also bounds how long a
//!   kept-alive connection may wait for its next request);
//! - a deadline for the request's body, counted from its headers, whatever the pace of its bytes
//!   (a body that trickles in one byte at a time is ended too): the client gets a 408;
//! - an idle limit: a client that sends and reads nothing for that long while the server waits on
//!   it (a response it does not read, a body that stalls) is disconnected;
//! - a place among at most `max_connections`: past the limit, new connections wait in the
//!   kernel's queue until one ends (every place frees within the timeouts above), rather than
//!   being closed — a visitor arriving during a burst is served a little late, not refused.
//!
//! Each request carries axum's `ConnectInfo<SocketAddr>` (the TCP peer) and the handler's
//! [`ClientAddress`]: the peer, or, when the peer is one of the [`TrustedProxies`], the client it
//! names in `X-Forwarded-For`.

use std::convert::Infallible;
use std::error::Error;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use functions::web::client::ClientAddress;
pub use functions::web::client::TrustedProxies;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// How long a client may take, and how many may be connected at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// From the connection (or the end of the previous response) to the end of the request's
    /// headers. Also the longest a kept-alive connection waits for its next request.
    pub header_timeout: Duration,
    /// From the end of the headers to the end of the body.
    pub body_timeout: Duration,
    /// The longest the client may stay silent (nothing sent, nothing read) while the server
    /// waits on it.
    pub idle_timeout: Duration,
    /// Connections served at once; the next ones wait until one ends.
    pub max_connections: usize,
    /// On shutdown, how long requests under way may take to finish.
    pub shutdown_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // A browser sends its headers in one packet: milliseconds, a second on a poor mobile
            // link. 10 s frees a stalled connection's place quickly; a browser whose kept-alive
            // connection was closed simply opens another.
            header_timeout: Duration::from_secs(10),
            // Bodies are at most 16 KiB (the handler's limit): about 3 s at 2G speeds (50 kbit/s);
            // 30 s is ten times that.
            body_timeout: Duration::from_secs(30),
            // A phone whose radio pauses, or that reads a large map file slowly, still moves
            // within a minute; a client that stops reading is let go after it.
            idle_timeout: Duration::from_secs(60),
            // Well under the usual limit of 1 024 open files (systemd's default), which also
            // holds the database, the mail connections and the logs; a CPTS's site has tens of
            // visitors at once, and a reverse proxy reuses a few connections.
            max_connections: 512,
            // Requests end in milliseconds; 10 s is ample and well under systemd's stop timeout
            // (90 s).
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes: then stops accepting,
/// lets the requests under way finish (at most `limits.shutdown_timeout`) and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    proxies: TrustedProxies,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let places = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let proxies = Arc::new(proxies);
    // `stop` tells the connections to finish; `done` is closed when the last one has ended.
    let (stop_tx, stop_rx) = watch::channel(());
    let (done_tx, done_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        // A place first, then the connection: past the limit, connections wait in the kernel's
        // queue instead of being accepted and dropped.
        let place = tokio::select! {
            place = Arc::clone(&places).acquire_owned() => place.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of file descriptors, say: wait instead of spinning.
                    eprintln!("Connexion non acceptée : {e} ; nouvel essai dans une seconde.");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = connection_service(
            router.clone(),
            peer,
            Arc::clone(&proxies),
            limits.body_timeout,
        );
        let mut stop = stop_rx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            let _place = place;
            let _done = done;
            let io = TokioIo::new(Idle::new(stream, limits.idle_timeout));
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let mut connection = pin!(builder.serve_connection(io, service));
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = stop.changed() => {}
            }
            // Finish the request under way, then close.
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        });
    }
    drop(listener);
    let _ = stop_tx.send(());
    drop(done_rx);
    let _ = tokio::time::timeout(limits.shutdown_timeout, done_tx.closed()).await;
    Ok(())
}

/// Errors of one connection (reset before it was accepted), not of the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// What the request's body was when its deadline passed.
const BODY_TOO_SLOW: &str = "Votre envoi est arrivé trop lentement. Vérifiez votre connexion à Internet, puis envoyez-le à nouveau.";

/// The router, for the requests of one connection from `peer`.
fn connection_service(
    router: Router,
    peer: SocketAddr,
    proxies: Arc<TrustedProxies>,
    body_timeout: Duration,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = Response<Body>,
    Error = Infallible,
    Future: Send,
> {
    hyper::service::service_fn(move |mut request: Request<Incoming>| {
        let client = proxies.client(peer.ip(), request.headers());
        request.extensions_mut().insert(ConnectInfo(peer));
        request
            .extensions_mut()
            .insert(ClientAddress(client.to_string()));
        let late = Arc::new(AtomicBool::new(false));
        let request = request.map(|body| {
            Body::new(Deadline {
                body,
                sleep: Box::pin(tokio::time::sleep(body_timeout)),
                late: Arc::clone(&late),
            })
        });
        let router = router.clone();
        async move {
            let response = router.oneshot(request).await?;
            if late.load(Ordering::SeqCst) {
                // Whatever the handler made of a body cut short ("too long", say), the truth is
                // that it came too slowly.
                return Ok(too_slow());
            }
            Ok(response)
        }
    })
}

fn too_slow() -> Response<Body> {
    let mut response = Response::new(Body::from(BODY_TOO_SLOW));
    *response.status_mut() = StatusCode::REQUEST_TIMEOUT;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The body came too slowly.
#[derive(Debug)]
struct BodyTooSlow;

impl std::fmt::Display for BodyTooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request body too slow")
    }
}

impl Error for BodyTooSlow {}

/// A request body that ends in an error once its deadline has passed (a fixed deadline, not one
/// reset by each byte: tower-http's body timeout is, so a body trickling in lasts for ever).
struct Deadline {
    body: Incoming,
    sleep: Pin<Box<Sleep>>,
    late: Arc<AtomicBool>,
}

impl http_body::Body for Deadline {
    type Data = Bytes;
    type Error = Box<dyn Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|f| f.map_err(Into::into))),
            Poll::Pending => {
                if this.sleep.as_mut().poll(cx).is_ready() {
                    this.late.store(true, Ordering::SeqCst);
                    Poll::Ready(Some(Err(Box::new(BodyTooSlow))))
                } else {
                    Poll::Pending
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        http_body::Body::is_end_stream(&self.body)
    }

    fn size_hint(&self) -> SizeHint {
        http_body::Body::size_hint(&self.body)
    }
}

/// A connection that fails once the client has been silent for `timeout` while the server
/// waited on it (to read or to write).
struct Idle {
    stream: TcpStream,
    timeout: Duration,
    /// `timeout` after the last byte read or written.
    deadline: Instant,
    sleep: Pin<Box<Sleep>>,
}

impl Idle {
    fn new(stream: TcpStream, timeout: Duration) -> Self {
        let deadline = Instant::now() + timeout;
        Self {
            stream,
            timeout,
            deadline,
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
        }
    }

    fn active(&mut self) {
        // The timer is moved only when it fires (below): one clock read per read or write.
        self.deadline = Instant::now() + self.timeout;
    }

    /// Called when the client keeps the server waiting: an error once it has been too long.
    fn waiting<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        loop {
            if self.sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            if Instant::now() >= self.deadline {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "client silent for too long",
                )));
            }
            let deadline = self.deadline;
            self.sleep.as_mut().reset(deadline);
        }
    }

    fn after<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match poll {
            Poll::Pending => self.waiting(cx),
            ready => {
                self.active();
                ready
            }
        }
    }
}

impl AsyncRead for Idle {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_read(cx, buf);
        this.after(cx, poll)
    }
}

impl AsyncWrite for Idle {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.after(cx, poll)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.after(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_flush(cx);
        this.after(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
