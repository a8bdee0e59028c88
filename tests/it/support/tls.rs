//! Loopback TLS servers for the integration tests: one that serves exactly the chain it is
//! given (optionally a chain per SNI name, and recording the SNI each client sent), one that
//! accepts and never answers, one that accepts and closes at once, and one that answers with
//! fixed bytes (an alert, or plain text on a TLS port).
//!
//! Each server listens on 127.0.0.1 on a port of its own, runs on its own thread with its own
//! tokio runtime (so it keeps serving while a test blocks on the real binary as a child
//! process), and stops when dropped. Self-contained: tokio, rustls, tokio-rustls and
//! rustls-pki-types only; the caller makes the certificates.

#![allow(dead_code)] // Each test file uses a different part of the harness.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ServerConfig, SupportedProtocolVersion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

/// How long a server gives one client: bounds every connection so no server task outlives
/// a test that forgot it.
const PER_CONNECTION: Duration = Duration::from_secs(10);

/// A TLS server on 127.0.0.1 serving the chains it was given, byte for byte and in the order
/// given: rustls's server neither reorders nor checks a chain.
pub struct TlsServer {
    address: SocketAddr,
    sni_seen: Arc<Mutex<Vec<Option<String>>>>,
    polite_closes: Arc<AtomicUsize>,
    _runner: Runner,
}

impl TlsServer {
    /// Serves `chain` (the leaf first; anything may follow) signed for with `key`, over TLS
    /// 1.2 and 1.3, to every client.
    pub fn start(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Self {
        Self::start_by_name(Vec::new(), chain, key)
    }

    /// As `start`, over TLS 1.2 only.
    pub fn start_tls12_only(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        Self::serve(Vec::new(), chain, key, &[&rustls::version::TLS12])
    }

    /// Serves the chain and key given for the SNI name a client sends, and the default chain
    /// and key to a client that sends another name or none.
    pub fn start_by_name(
        by_name: Vec<(&str, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self {
        Self::serve(by_name, chain, key, rustls::ALL_VERSIONS)
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// How many clients closed with a close_notify after a completed handshake.
    pub fn polite_closes(&self) -> usize {
        self.polite_closes.load(Ordering::SeqCst)
    }

    /// The SNI name each client sent, in the order the handshakes began (`None`: no SNI).
    pub fn sni_seen(&self) -> Vec<Option<String>> {
        self.sni_seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn serve(
        by_name: Vec<(&str, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        versions: &[&'static SupportedProtocolVersion],
    ) -> Self {
        let sni_seen = Arc::new(Mutex::new(Vec::new()));
        let resolver = BySni {
            by_name: by_name
                .into_iter()
                .map(|(name, chain, key)| (name.to_owned(), certified(chain, &key)))
                .collect(),
            default: certified(chain, &key),
            sni_seen: Arc::clone(&sni_seen),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .expect("the ring provider supports these versions")
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(resolver));
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let polite_closes = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&polite_closes);
        let (address, runner) = Runner::start(move |listener| {
            accept_each(listener, move |tcp| {
                let acceptor = acceptor.clone();
                let counter = Arc::clone(&counter);
                async move {
                    // A failed handshake is the client's business; the test reads its side.
                    if let Ok(mut tls) = acceptor.accept(tcp).await {
                        let _ = tls.shutdown().await;
                        // rustls reads a clean end only after the peer's close_notify; a bare
                        // TCP close is an UnexpectedEof.
                        if tokio::io::copy(&mut tls, &mut tokio::io::sink())
                            .await
                            .is_ok()
                        {
                            counter.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
            })
        });
        Self {
            address,
            sni_seen,
            polite_closes,
            _runner: runner,
        }
    }
}

/// A chain and key as rustls serves them; `with_cert_resolver` skips the check that the key
/// matches the leaf, so a test can serve a mismatched pair too.
fn certified(
    chain: Vec<CertificateDer<'static>>,
    key: &PrivateKeyDer<'static>,
) -> Arc<CertifiedKey> {
    let signing_key = rustls::crypto::ring::sign::any_supported_type(key)
        .expect("a private key the ring provider can sign with");
    Arc::new(CertifiedKey::new(chain, signing_key))
}

/// Picks the chain by SNI, recording the name each client sent.
#[derive(Debug)]
struct BySni {
    by_name: HashMap<String, Arc<CertifiedKey>>,
    default: Arc<CertifiedKey>,
    sni_seen: Arc<Mutex<Vec<Option<String>>>>,
}

impl ResolvesServerCert for BySni {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let name = client_hello.server_name().map(str::to_owned);
        let chosen = name
            .as_ref()
            .and_then(|name| self.by_name.get(name))
            .unwrap_or(&self.default);
        self.sni_seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(name);
        Some(Arc::clone(chosen))
    }
}

/// Completes TCP but never says a word: the handshake never finishes. Sockets are held open
/// until the server is dropped.
pub struct SilentServer {
    address: SocketAddr,
    _runner: Runner,
}

impl SilentServer {
    pub fn start() -> Self {
        let (address, runner) = Runner::start(|listener| async move {
            let mut held = Vec::new();
            while let Ok((tcp, _)) = listener.accept().await {
                held.push(tcp);
            }
        });
        Self {
            address,
            _runner: runner,
        }
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

/// Accepts and closes at once, before any handshake.
pub struct ClosingServer {
    address: SocketAddr,
    _runner: Runner,
}

impl ClosingServer {
    pub fn start() -> Self {
        let (address, runner) = Runner::start(|listener| async move {
            while let Ok((tcp, _)) = listener.accept().await {
                drop(tcp);
            }
        });
        Self {
            address,
            _runner: runner,
        }
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

/// A port whose accept queue is full: it listens with a backlog of 0 and never accepts, and
/// connections it made itself fill the queue, so the kernel drops new SYNs and a connect
/// hangs (so on Linux; other systems may refuse instead).
pub struct FullBacklogServer {
    address: SocketAddr,
    _fillers: Vec<std::net::TcpStream>,
    _runner: Runner,
}

impl FullBacklogServer {
    pub fn start() -> Self {
        let (address, runner) = Runner::start_with_backlog(0, |listener| async move {
            // Held, never accepted from: the port stays open and its queue full.
            let _held = listener;
            std::future::pending::<()>().await;
        });
        let fillers = (0..2)
            .filter_map(|_| {
                std::net::TcpStream::connect_timeout(&address, Duration::from_millis(200)).ok()
            })
            .collect();
        Self {
            address,
            _fillers: fillers,
            _runner: runner,
        }
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

/// Answers a client's first bytes with fixed bytes, then waits for the client to close:
/// closing first, with the client's bytes unread, would send a reset that can overtake them.
pub struct RawServer {
    address: SocketAddr,
    _runner: Runner,
}

impl RawServer {
    pub fn start(reply: Vec<u8>) -> Self {
        let reply = Arc::new(reply);
        let (address, runner) = Runner::start(move |listener| {
            accept_each(listener, move |mut tcp| {
                let reply = Arc::clone(&reply);
                async move {
                    let mut buffer = vec![0; 16 * 1024];
                    if tcp.read(&mut buffer).await.is_ok() && tcp.write_all(&reply).await.is_ok() {
                        while matches!(tcp.read(&mut buffer).await, Ok(read) if read > 0) {}
                    }
                }
            })
        });
        Self {
            address,
            _runner: runner,
        }
    }

    /// A fatal `handshake_failure` alert, as a TLS 1.2 record.
    pub fn handshake_failure_alert() -> Vec<u8> {
        vec![21, 3, 3, 0, 2, 2, 40]
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

/// Runs `handle` for every connection, each as its own task, each bounded by
/// `PER_CONNECTION`.
async fn accept_each<H, F>(listener: TcpListener, handle: H)
where
    H: Fn(TcpStream) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    while let Ok((tcp, _)) = listener.accept().await {
        let connection = handle(tcp);
        tokio::spawn(async move {
            let _ = tokio::time::timeout(PER_CONNECTION, connection).await;
        });
    }
}

/// A server's thread and runtime; dropping it stops the server and waits for the thread.
/// Also the Twilio fake's (`twilio.rs`).
pub(super) struct Runner {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Runner {
    /// Listens on 127.0.0.1:0 and runs `serve` on the listener on a new thread until the
    /// runner is dropped; returns once the address is known.
    pub(super) fn start<S, F>(serve: S) -> (SocketAddr, Self)
    where
        S: FnOnce(TcpListener) -> F + Send + 'static,
        F: Future<Output = ()>,
    {
        Self::start_with_backlog(1024, serve)
    }

    /// As `start`, with the listen queue as long as `backlog`.
    fn start_with_backlog<S, F>(backlog: u32, serve: S) -> (SocketAddr, Self)
    where
        S: FnOnce(TcpListener) -> F + Send + 'static,
        F: Future<Output = ()>,
    {
        Self::spawn(move || async move {
            let listener = listen(backlog).expect("listen on 127.0.0.1:0");
            let address = listener.local_addr().expect("the listener's address");
            (address, serve(listener))
        })
    }

    /// Runs `setup` on a new thread with its own runtime, then the future it gives until the
    /// runner is dropped; returns what `setup` reports once it has. For servers that bind
    /// their own sockets (the DNS universe of `authority.rs`).
    pub(super) fn spawn<S, F, G, T>(setup: S) -> (T, Self)
    where
        S: FnOnce() -> F + Send + 'static,
        F: Future<Output = (T, G)>,
        G: Future<Output = ()>,
        T: Send + 'static,
    {
        let (stop, stopped) = oneshot::channel();
        let (report, listening) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the test server");
            runtime.block_on(async move {
                let (ready, serve) = setup().await;
                report.send(ready).expect("the starting thread waits");
                tokio::select! {
                    _ = stopped => {}
                    () = serve => {}
                }
            });
            // Dropping the runtime here ends every connection task still running.
        });
        let ready = listening.recv().expect("the server thread starts");
        let runner = Self {
            stop: Some(stop),
            thread: Some(thread),
        };
        (ready, runner)
    }
}

fn listen(backlog: u32) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    socket.listen(backlog)
}

impl Drop for Runner {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
