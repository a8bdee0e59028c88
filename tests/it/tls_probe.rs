//! The TLS probe over real sockets: the chain as served, SNI, and each way a server can fail
//! to serve one, against loopback servers (`support/tls.rs`); certificates from the shared
//! test PKI (`support/pki.rs`).

use std::net::SocketAddr;
use std::time::Duration;

use crate::support::pki::Pki;
use crate::support::tls::{ClosingServer, FullBacklogServer, RawServer, SilentServer, TlsServer};
use certready::tls::{
    AlertDescription, HandshakeError, ProbeFailure, Prober, ProtocolVersion, ServerNameChoice,
    fetch_chain,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::OffsetDateTime;
use tokio::time::Instant;

/// Generous for loopback, where a handshake takes milliseconds.
const DEADLINE: Duration = Duration::from_secs(5);

/// A root, an intermediate, and a leaf for `name` signed by the intermediate, with the
/// leaf's key.
struct Chain {
    root: CertificateDer<'static>,
    intermediate: CertificateDer<'static>,
    leaf: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

/// The shared test PKI's certificates as rustls types.
fn pki(name: &str) -> Chain {
    let pki = Pki::at(OffsetDateTime::now_utc());
    let leaf = pki.leaf(&[name]).build();
    Chain {
        root: pki.root_der().into(),
        intermediate: pki.intermediate_der().into(),
        leaf: leaf.der.into(),
        key: PrivatePkcs8KeyDer::from(leaf.key_der).into(),
    }
}

fn name(text: &str) -> ServerNameChoice {
    ServerNameChoice::for_host(text).unwrap()
}

fn soon() -> Instant {
    Instant::now() + DEADLINE
}

fn ders(chain: &[CertificateDer<'_>]) -> Vec<Vec<u8>> {
    chain
        .iter()
        .map(|certificate| certificate.to_vec())
        .collect()
}

/// A port nothing listens on: one bound and closed again.
fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

#[tokio::test]
async fn the_chain_comes_back_exactly_as_served_in_the_order_served() {
    let pki = pki("www.example.test");
    // Out of order and with the root: the probe reports what was served, not what should be.
    let chain = vec![pki.leaf, pki.root, pki.intermediate];
    let server = TlsServer::start(chain.clone(), pki.key);
    let served = Prober::new()
        .fetch_chain(server.address(), name("www.example.test"), soon())
        .await
        .unwrap();
    assert_eq!(served.certificates, ders(&chain));
    assert_eq!(served.address, server.address());
    assert_eq!(served.protocol, ProtocolVersion::TLSv1_3);
}

#[tokio::test]
async fn the_probe_closes_with_a_close_notify() {
    let pki = pki("www.example.test");
    let server = TlsServer::start(vec![pki.leaf], pki.key);
    fetch_chain(server.address(), name("www.example.test"), soon())
        .await
        .unwrap();
    // The server counts the close when it reads it, which may be just after the probe ends.
    let waited_from = Instant::now();
    while server.polite_closes() == 0 && waited_from.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.polite_closes(), 1);
}

#[tokio::test]
async fn a_tls12_server_is_read_the_same_and_its_version_reported() {
    let pki = pki("www.example.test");
    let chain = vec![pki.leaf, pki.intermediate];
    let server = TlsServer::start_tls12_only(chain.clone(), pki.key);
    let served = fetch_chain(server.address(), name("www.example.test"), soon())
        .await
        .unwrap();
    assert_eq!(served.certificates, ders(&chain));
    assert_eq!(served.protocol, ProtocolVersion::TLSv1_2);
    assert!(format!("{:?}", served.cipher_suite).starts_with("TLS_ECDHE_"));
}

#[tokio::test]
async fn sni_is_the_name_or_the_override_and_none_for_an_ip_address() {
    let pki = pki("www.example.test");
    let server = TlsServer::start(vec![pki.leaf], pki.key);
    let prober = Prober::new();
    for choice in [
        name("www.example.test"),
        name("127.0.0.1"),
        ServerNameChoice::overriding("other.example.test").unwrap(),
    ] {
        prober
            .fetch_chain(server.address(), choice, soon())
            .await
            .unwrap();
    }
    assert_eq!(
        server.sni_seen(),
        [
            Some("www.example.test".to_owned()),
            None,
            Some("other.example.test".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_server_chooses_its_chain_by_the_name_sent() {
    let www = pki("www.example.test");
    let mail = pki("mail.example.test");
    let server = TlsServer::start_by_name(
        vec![("mail.example.test", vec![mail.leaf.clone()], mail.key)],
        vec![www.leaf.clone()],
        www.key,
    );
    let prober = Prober::new();
    let by_mail = prober
        .fetch_chain(server.address(), name("mail.example.test"), soon())
        .await
        .unwrap();
    let by_ip = prober
        .fetch_chain(server.address(), name("127.0.0.1"), soon())
        .await
        .unwrap();
    assert_eq!(by_mail.certificates, ders(&[mail.leaf]));
    assert_eq!(by_ip.certificates, ders(&[www.leaf]));
}

#[tokio::test]
async fn a_silent_server_is_a_handshake_timeout_at_the_deadline() {
    let server = SilentServer::start();
    let started = Instant::now();
    let deadline = started + Duration::from_millis(300);
    let failure = Prober::new()
        .fetch_chain(server.address(), name("www.example.test"), deadline)
        .await
        .unwrap_err();
    assert_eq!(failure, ProbeFailure::HandshakeTimeout);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_millis(1000), "{waited:?}");
}

#[tokio::test]
async fn a_port_that_never_completes_tcp_is_a_connect_timeout_at_the_deadline() {
    let server = FullBacklogServer::start();
    let started = Instant::now();
    let deadline = started + Duration::from_millis(300);
    let failure = Prober::new()
        .fetch_chain(server.address(), name("www.example.test"), deadline)
        .await
        .unwrap_err();
    assert_eq!(failure, ProbeFailure::ConnectTimeout);
    assert!(started.elapsed() < Duration::from_millis(1000));
}

#[tokio::test]
async fn a_server_that_closes_at_once_is_closed_during_handshake() {
    let server = ClosingServer::start();
    let failure = Prober::new()
        .fetch_chain(server.address(), name("www.example.test"), soon())
        .await
        .unwrap_err();
    assert_eq!(failure, ProbeFailure::ClosedDuringHandshake);
}

#[tokio::test]
async fn a_closed_port_is_refused() {
    let failure = Prober::new()
        .fetch_chain(closed_port(), name("www.example.test"), soon())
        .await
        .unwrap_err();
    assert_eq!(failure, ProbeFailure::Refused);
}

#[tokio::test]
async fn an_alert_from_the_server_is_typed() {
    let server = RawServer::start(RawServer::handshake_failure_alert());
    let failure = Prober::new()
        .fetch_chain(server.address(), name("www.example.test"), soon())
        .await
        .unwrap_err();
    assert_eq!(
        failure,
        ProbeFailure::Handshake(HandshakeError::Alert(AlertDescription::HandshakeFailure))
    );
    assert_eq!(
        failure.to_string(),
        "tls handshake failed: the server sent the alert HandshakeFailure"
    );
}

#[tokio::test]
async fn plain_text_on_a_tls_port_is_a_protocol_error() {
    let server = RawServer::start(b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec());
    let failure = Prober::new()
        .fetch_chain(server.address(), name("www.example.test"), soon())
        .await
        .unwrap_err();
    assert!(
        matches!(
            failure,
            ProbeFailure::Handshake(HandshakeError::Protocol(_))
        ),
        "{failure:?}"
    );
}
