//! A signed DNS universe on loopback for `--dnssec` (issue 11): zones signed at test time by
//! hickory-server with keys the test makes (ECDSA P-256, one combined key per zone, flags 257),
//! each parent holding its children's DS records, all served by one server that answers as a
//! non-validating resolver would with DO set: every question from the zone that holds its
//! answer, a DS question from the zone above the cut (hickory's catalog alone would answer it
//! from the child).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use hickory_server::Server;
use hickory_server::dnssec::NxProofKind;
use hickory_server::net::runtime::{Time, TokioRuntimeProvider};
use hickory_server::proto::dnssec::crypto::EcdsaSigningKey;
use hickory_server::proto::dnssec::rdata::{DNSKEY, DNSSECRData, DS};
use hickory_server::proto::dnssec::{Algorithm, DigestType, DnssecSigner, SigningKey};
use hickory_server::proto::rr::{LowerName, Name, RData, Record, RecordType};
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneHandler, ZoneType};
use rustls_pki_types::PrivatePkcs8KeyDer;

use super::bind_udp_and_tcp;

/// How a zone proves what does not exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denial {
    Nsec,
    Nsec3,
}

/// How a zone is signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signing {
    /// Signed, its signatures valid for this many days from now; its parent holds its DS.
    Signed { days: u64 },
    /// Not signed, and no DS at its parent: an insecure delegation.
    Unsigned,
    /// Signed, but its parent's DS is of another key.
    DsOfAnotherKey,
    /// Signed with signatures that expire a second after the universe starts.
    Expiring,
}

/// A zone to sign: its origin, its records in zone-file form (`$TTL 300` assumed), how it
/// denies, and how it is signed.
pub struct ZoneSpec<'a> {
    pub origin: &'a str,
    pub text: &'a str,
    pub denial: Denial,
    pub signing: Signing,
}

/// A zone's key, made at test time: ECDSA P-256, one combined key (flags 257).
#[derive(Clone)]
pub struct ZoneKey {
    pkcs8: Vec<u8>,
    pub dnskey: DNSKEY,
}

impl ZoneKey {
    pub fn generate() -> ZoneKey {
        let pkcs8 = EcdsaSigningKey::generate_pkcs8(ALGORITHM).unwrap();
        let key = EcdsaSigningKey::from_pkcs8(&pkcs8, ALGORITHM).unwrap();
        ZoneKey {
            dnskey: DNSKEY::with_flags(257, key.to_public_key().unwrap()),
            pkcs8: pkcs8.secret_pkcs8_der().to_vec(),
        }
    }

    /// Signs `handler`'s zone `origin` with this key, its signatures valid for `validity`
    /// from now.
    pub fn sign(
        &self,
        handler: &mut InMemoryZoneHandler<TokioRuntimeProvider>,
        origin: &Name,
        validity: Duration,
    ) {
        let pkcs8 = PrivatePkcs8KeyDer::from(self.pkcs8.clone());
        let signing_key = EcdsaSigningKey::from_pkcs8(&pkcs8, ALGORITHM).unwrap();
        let signer = DnssecSigner::new(
            self.dnskey.clone(),
            Box::new(signing_key),
            origin.clone(),
            validity,
        );
        handler.add_zone_signing_key_mut(signer).unwrap();
        handler.secure_zone_mut().unwrap();
    }

    /// The DS record of zone `zone` with this key, SHA-256.
    pub fn ds_record(&self, zone: &Name) -> Record {
        use hickory_server::proto::dnssec::Verifier;
        let key = &self.dnskey;
        let ds = DS::new(
            key.calculate_key_tag().unwrap(),
            key.algorithm(),
            DigestType::SHA256,
            key.to_digest(zone, DigestType::SHA256)
                .unwrap()
                .as_ref()
                .to_vec(),
        );
        Record::from_rdata(zone.clone(), 300, RData::DNSSEC(DNSSECRData::DS(ds)))
    }

    /// A trust-anchor file with this key as the root's, as `--trust-anchor` takes it.
    pub fn anchor_file(&self) -> String {
        use base64::Engine;
        use hickory_server::proto::dnssec::{PublicKey, Verifier};
        format!(
            ". IN DNSKEY 257 3 {} {}\n",
            u8::from(self.dnskey.algorithm()),
            base64::engine::general_purpose::STANDARD
                .encode(self.dnskey.public_key().public_bytes())
        )
    }
}

const ALGORITHM: Algorithm = Algorithm::ECDSAP256SHA256;

/// The universe, served.
pub struct SignedUniverse {
    pub addr: std::net::SocketAddr,
    /// The root's key: the trust anchor.
    pub root_key: ZoneKey,
    _server: Server<Routing>,
}

impl SignedUniverse {
    /// Signs every zone (children's DS records put in their parents first) and serves them.
    pub async fn start(zones: &[ZoneSpec<'_>]) -> SignedUniverse {
        let keys: Vec<(Name, ZoneKey)> = zones
            .iter()
            .map(|spec| (Name::from_ascii(spec.origin).unwrap(), ZoneKey::generate()))
            .collect();
        let mut handlers: Vec<(LowerName, Arc<dyn ZoneHandler>)> = Vec::new();
        for (spec, (origin, key)) in zones.iter().zip(keys.iter()) {
            let text = format!("$TTL 300\n{}", spec.text);
            let (_, records) = Parser::new(text.as_str(), None, Some(origin.clone()))
                .parse()
                .unwrap_or_else(|error| panic!("zone {origin}: {error}"));
            let proof = match spec.denial {
                Denial::Nsec => NxProofKind::Nsec,
                Denial::Nsec3 => NxProofKind::Nsec3 {
                    algorithm: Default::default(),
                    salt: Arc::from(&b"\xab\xcd"[..]),
                    iterations: 1,
                    opt_out: false,
                },
            };
            let mut handler = InMemoryZoneHandler::<TokioRuntimeProvider>::new(
                origin.clone(),
                records,
                ZoneType::Primary,
                AxfrPolicy::Deny,
                Some(proof),
            )
            .unwrap_or_else(|error| panic!("zone {origin}: {error}"));
            // The DS of each signed child zone, in the zone right above it.
            for ((child, child_key), child_spec) in keys.iter().zip(zones) {
                let parent = keys
                    .iter()
                    .map(|(zone, _)| zone)
                    .filter(|zone| *zone != child && zone.zone_of(child))
                    .max_by_key(|zone| zone.num_labels());
                if parent != Some(origin) {
                    continue;
                }
                match child_spec.signing {
                    Signing::Signed { .. } | Signing::Expiring => {
                        handler.upsert_mut(child_key.ds_record(child), 0)
                    }
                    Signing::DsOfAnotherKey => {
                        handler.upsert_mut(ZoneKey::generate().ds_record(child), 0)
                    }
                    Signing::Unsigned => true,
                };
            }
            let validity = match spec.signing {
                Signing::Signed { days } => Some(Duration::from_secs(days * 86_400)),
                Signing::DsOfAnotherKey => Some(Duration::from_secs(7 * 86_400)),
                Signing::Expiring => Some(Duration::from_secs(1)),
                Signing::Unsigned => None,
            };
            if let Some(validity) = validity {
                key.sign(&mut handler, origin, validity);
            }
            handlers.push((LowerName::new(origin), Arc::new(handler)));
        }
        let mut server = Server::new(Routing::new(&handlers));
        let (udp, tcp) = bind_udp_and_tcp().await;
        let addr = udp.local_addr().unwrap();
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(10), 64 * 1024);
        let root_key = keys
            .iter()
            .find(|(origin, _)| origin.is_root())
            .map(|(_, key)| key.clone())
            .expect("a root zone");
        SignedUniverse {
            addr,
            root_key,
            _server: server,
        }
    }
}

impl SignedUniverse {
    /// A trust-anchor file with the root's key, as `--trust-anchor` takes it.
    pub fn anchor_file(&self) -> String {
        self.root_key.anchor_file()
    }

    /// A resolver in front of the universe that strips DNSSEC: every RRSIG removed from the
    /// replies it passes on (UDP).
    pub async fn stripping_forwarder(&self) -> std::net::SocketAddr {
        self.forwarder(Forwarding::StripSignatures).await
    }

    /// A resolver in front of the universe that answers a question without DO with no
    /// records at all (NODATA), and one with DO as the universe does: two questions, two
    /// answers.
    pub async fn two_faced_forwarder(&self) -> std::net::SocketAddr {
        self.forwarder(Forwarding::EmptyWithoutDo).await
    }

    async fn forwarder(&self, forwarding: Forwarding) -> std::net::SocketAddr {
        use hickory_server::proto::op::Message;
        let upstream = self.addr;
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let address = socket.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buffer = vec![0; 65_535];
            while let Ok((length, client)) = socket.recv_from(&mut buffer).await {
                let query = buffer[..length].to_vec();
                let relay = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
                relay.send_to(&query, upstream).await.unwrap();
                let mut reply = vec![0; 65_535];
                let Ok(Ok((length, _))) =
                    tokio::time::timeout(Duration::from_secs(2), relay.recv_from(&mut reply)).await
                else {
                    continue;
                };
                let Ok(mut message) = Message::from_vec(&reply[..length]) else {
                    continue;
                };
                let asked_with_do = Message::from_vec(&query)
                    .ok()
                    .and_then(|query| query.edns.map(|edns| edns.flags().dnssec_ok))
                    .unwrap_or(false);
                match forwarding {
                    Forwarding::StripSignatures => {
                        for section in [&mut message.answers, &mut message.authorities] {
                            section.retain(|record| record.record_type() != RecordType::RRSIG);
                        }
                    }
                    Forwarding::EmptyWithoutDo if !asked_with_do => message.answers.clear(),
                    Forwarding::EmptyWithoutDo => {}
                }
                let _ = socket.send_to(&message.to_vec().unwrap(), client).await;
            }
        });
        address
    }
}

/// How a forwarder in front of the universe misbehaves.
#[derive(Clone, Copy, Debug)]
enum Forwarding {
    StripSignatures,
    EmptyWithoutDo,
}

/// Answers each question from the zone that holds its answer; a DS question for a zone's apex
/// from the zones without it, when one above it is served (the parent's DS, as a resolver
/// would find it).
pub struct Routing {
    full: Catalog,
    above: HashMap<LowerName, Catalog>,
}

impl Routing {
    pub fn new(handlers: &[(LowerName, Arc<dyn ZoneHandler>)]) -> Routing {
        let catalog = |left_out: Option<&LowerName>| {
            let mut catalog = Catalog::new();
            for (origin, handler) in handlers {
                if Some(origin) != left_out {
                    catalog.upsert(origin.clone(), vec![Arc::clone(handler)]);
                }
            }
            catalog
        };
        let has_parent = |origin: &LowerName| {
            handlers
                .iter()
                .any(|(other, _)| other != origin && other.zone_of(origin))
        };
        Routing {
            full: catalog(None),
            above: handlers
                .iter()
                .filter(|(origin, _)| has_parent(origin))
                .map(|(origin, _)| (origin.clone(), catalog(Some(origin))))
                .collect(),
        }
    }

    /// The catalog that answers `request`.
    pub fn catalog_for(&self, request: &Request) -> &Catalog {
        request
            .request_info()
            .ok()
            .filter(|info| info.query.query_type() == RecordType::DS)
            .and_then(|info| self.above.get(info.query.name()))
            .unwrap_or(&self.full)
    }
}

#[async_trait::async_trait]
impl RequestHandler for Routing {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        response_handle: R,
    ) -> ResponseInfo {
        self.catalog_for(request)
            .handle_request::<R, T>(request, response_handle)
            .await
    }
}
