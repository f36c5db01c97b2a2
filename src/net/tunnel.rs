//! The EC2 Instance Connect Endpoint tunnel: a websocket over TLS to the
//! endpoint (resolved through our own resolver, so `--nameserver` applies;
//! trusting the system roots plus `AWS_CA_BUNDLE`), carrying the connection's
//! bytes as binary frames. The rest of the tool sees one end of a local
//! socket pair, so the key-exchange reader and the relays work on a tunnel
//! exactly as on a TCP connection.

use std::net::{IpAddr, SocketAddr};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest};

use crate::error::AwsError;
pub use crate::error::TunnelError as Error;

/// The AWS CLI's frame size, known to pass every endpoint.
const FRAME: usize = 65_000;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// The whole opening (DNS, TCP, TLS, the upgrade): an endpoint that accepts
/// and then stalls must not hold ssh forever.
const OPEN_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the endpoint may take to answer our close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(5);
/// The IAM action a refusal names.
const OPEN_TUNNEL: &str = "ec2-instance-connect:OpenTunnel";

/// Where and how to open a tunnel. (No `Debug`: the URL is a credential.)
#[derive(Clone)]
pub struct Opening {
    /// The endpoint's DNS name (the URL's host).
    pub host: String,
    pub nameserver: Option<SocketAddr>,
    /// `AWS_CA_BUNDLE`: certificates trusted beside the system's.
    pub ca_bundle: Option<Arc<[u8]>>,
    /// The `maxTunnelDuration` the URL asks for, in seconds.
    pub max_duration: u32,
}

/// An open tunnel (its bytes go through the socket [`open`] returns).
pub struct Tunnel {
    pump: std::thread::JoinHandle<Ending>,
    opened: Instant,
    max_duration: u32,
}

/// How the websocket ended.
#[derive(Debug)]
enum Ending {
    /// We closed it first: ssh was done.
    ByUs,
    /// The endpoint closed it normally (code 1000): the server hung up, or time was up.
    ByEndpoint,
    /// The endpoint closed it with another code, or it failed.
    Abnormal(String),
}

/// Opens the websocket and starts carrying bytes; returns once the endpoint
/// has accepted the tunnel (or refused it), with the tool's end of it:
/// bytes written there reach the instance, and its answers come back there.
///
/// # Errors
/// The endpoint cannot be reached or refuses the tunnel.
/// `url` makes the presigned `wss://` URL; it runs on a thread of its own
/// while the endpoint is resolved and the TLS session set up.
pub fn open(
    opening: Opening,
    url: impl FnOnce() -> anyhow::Result<String> + Send + 'static,
) -> Result<(UnixStream, Tunnel), anyhow::Error> {
    let (ours, theirs) = UnixStream::pair().map_err(|e| unreachable(&opening.host, &e))?;
    let (url_tx, url_rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || url_tx.send(url()));
    let (ready_tx, ready_rx) = mpsc::channel();
    let max_duration = opening.max_duration;
    let pump = std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => {
                let _ = ready_tx.send(Err(anyhow::Error::from(unreachable(&opening.host, &e))));
                return Ending::Abnormal("no runtime".into());
            }
        };
        runtime.block_on(async move {
            let opened = tokio::time::timeout(OPEN_TIMEOUT, connect(&opening, url_rx)).await;
            let websocket = match opened.unwrap_or_else(|_| {
                Err(unreachable(
                    &opening.host,
                    &format!("no answer within {} s", OPEN_TIMEOUT.as_secs()),
                )
                .into())
            }) {
                Ok(websocket) => websocket,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return Ending::Abnormal("not opened".into());
                }
            };
            let _ = ready_tx.send(Ok(()));
            carry(websocket, theirs).await
        })
    });
    match ready_rx.recv() {
        Ok(Ok(())) => Ok((
            ours,
            Tunnel {
                pump,
                opened: Instant::now(),
                max_duration,
            },
        )),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(anyhow::anyhow!(
            "the tunnel thread ended before the tunnel opened"
        )),
    }
}

impl Tunnel {
    /// Waits for the websocket to end (the data path is done) and says why it did.
    ///
    /// # Errors
    /// The endpoint cut the tunnel, or closed it at its maximum duration.
    pub fn end(self) -> Result<(), Error> {
        let ending = self
            .pump
            .join()
            .unwrap_or(Ending::Abnormal("the tunnel thread panicked".into()));
        // An endpoint closes a tunnel normally when its time is up; only the
        // time tells that apart from the server hanging up. Its clock started
        // a moment before ours (before its answer reached us): allow a second.
        let limit = Duration::from_secs(u64::from(self.max_duration));
        let at_limit = self.opened.elapsed() + Duration::from_secs(1) >= limit;
        match ending {
            Ending::ByUs => Ok(()),
            Ending::ByEndpoint if at_limit => Err(Error::MaxDuration {
                seconds: self.max_duration,
            }),
            Ending::ByEndpoint => Ok(()),
            Ending::Abnormal(detail) => Err(Error::Closed { detail }),
        }
    }
}

type WebSocket =
    tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

async fn connect(
    opening: &Opening,
    url: tokio::sync::oneshot::Receiver<anyhow::Result<String>>,
) -> Result<WebSocket, anyhow::Error> {
    let host = opening.host.as_str();
    let addresses = match super::dns::resolve(host, opening.nameserver).await? {
        Some(answer) if !answer.addresses.is_empty() => answer.addresses,
        _ => {
            return Err(unreachable(host, &"its DNS name does not resolve").into());
        }
    };
    let tcp = connect_any(host, &addresses).await?;
    tcp.set_nodelay(true).ok();
    let tls = tokio_rustls::TlsConnector::from(tls_config(opening.ca_bundle.as_deref())?);
    let server_name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| unreachable(host, &e))?;
    let stream = tls
        .connect(server_name, tcp)
        .await
        .map_err(|e| unreachable(host, &e))?;
    let url = url
        .await
        .map_err(|_| anyhow::anyhow!("the thread presigning the tunnel's URL ended"))??;
    let request = url
        .as_str()
        .into_client_request()
        .map_err(|e| unreachable(host, &e))?;
    match tokio_tungstenite::client_async(request, stream).await {
        Ok((websocket, response)) => {
            tracing::debug!(status = %response.status(), "EIC Endpoint tunnel open");
            Ok(websocket)
        }
        Err(tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let body = response
                .body()
                .as_deref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            Err(refusal(status, &body))
        }
        Err(e) => Err(unreachable(host, &e).into()),
    }
}

async fn connect_any(host: &str, addresses: &[IpAddr]) -> Result<tokio::net::TcpStream, Error> {
    let mut last = String::new();
    for ip in addresses {
        let attempt = tokio::time::timeout(
            CONNECT_TIMEOUT,
            tokio::net::TcpStream::connect(SocketAddr::new(*ip, 443)),
        )
        .await;
        match attempt {
            Ok(Ok(tcp)) => return Ok(tcp),
            Ok(Err(e)) => last = format!("{ip}: {e}"),
            Err(_) => last = format!("{ip}: timed out"),
        }
    }
    Err(unreachable(host, &last))
}

/// Builds the TLS settings on a thread of its own while the instance is
/// looked up, so the tunnel does not wait for them (reading the system's
/// roots takes milliseconds).
pub fn prepare(ca_bundle: Option<Arc<[u8]>>) {
    std::thread::spawn(move || {
        let _ = tls_config(ca_bundle.as_deref());
    });
}

/// The TLS settings, built once per process ([`prepare`] may have started it).
fn tls_config(ca_bundle: Option<&[u8]>) -> Result<Arc<rustls::ClientConfig>, Error> {
    static CONFIG: std::sync::OnceLock<Result<Arc<rustls::ClientConfig>, String>> =
        std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            build_tls_config(ca_bundle)
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|detail| unreachable("(any)", &detail))
}

/// The system's roots, plus `AWS_CA_BUNDLE`'s (as the AWS CLI trusts it).
fn build_tls_config(ca_bundle: Option<&[u8]>) -> Result<rustls::ClientConfig, Error> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(pem) = ca_bundle {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        roots.add_parsable_certificates(CertificateDer::pem_slice_iter(pem).flatten());
    }
    // ring, not aws-lc: aws-lc seeds its random generator from CPU jitter
    // on first use, 40 ms of CPU measured here, which a warm tunnel (no API
    // call, so no TLS of the SDK's before it) would wait for.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| unreachable("(any)", &e))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// What an HTTP refusal of the upgrade means, from AWS's error text.
fn refusal(status: u16, body: &str) -> anyhow::Error {
    let message = crate::text::sanitize(body.trim());
    let lower = message.to_ascii_lowercase();
    if lower.contains("signature expired") || lower.contains("request has expired") {
        Error::Expired { message }.into()
    } else if lower.contains("not authorized") || lower.contains("accessdenied") {
        AwsError::AccessDenied {
            action: OPEN_TUNNEL,
            message,
        }
        .into()
    } else if lower.contains("signature") || lower.contains("security token") {
        Error::Signature { message }.into()
    } else {
        Error::Refused { status, message }.into()
    }
}

fn unreachable(host: &str, err: &dyn std::fmt::Display) -> Error {
    Error::Unreachable {
        host: host.into(),
        detail: err.to_string(),
    }
}

/// Carries bytes both ways until both directions are done: ours to the
/// endpoint as binary frames (a close frame at EOF), the endpoint's frames to
/// ours (a write shutdown at its close).
async fn carry(websocket: WebSocket, local: UnixStream) -> Ending {
    let local = match local
        .set_nonblocking(true)
        .and_then(|()| tokio::net::UnixStream::from_std(local))
    {
        Ok(local) => local,
        Err(e) => return Ending::Abnormal(e.to_string()),
    };
    let (mut local_in, mut local_out) = local.into_split();
    let (mut sink, mut stream) = websocket.split();
    let we_closed = std::sync::atomic::AtomicBool::new(false);
    let (upstream_done, upstream_ended) = tokio::sync::oneshot::channel::<()>();
    let upstream = async {
        let mut buf = vec![0u8; FRAME];
        loop {
            match local_in.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if sink.send(Message::binary(buf[..n].to_vec())).await.is_err() {
                        return;
                    }
                }
            }
        }
        we_closed.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = sink.close().await;
        let _ = upstream_done.send(());
    };
    let downstream = async {
        let mut ending = Ending::ByEndpoint;
        // Once our side is done, the endpoint gets a moment to answer, no more.
        let grace_over = async {
            let _ = upstream_ended.await;
            tokio::time::sleep(CLOSE_GRACE).await;
        };
        tokio::pin!(grace_over);
        loop {
            let message = tokio::select! {
                message = stream.next() => message,
                () = &mut grace_over => break,
            };
            let Some(message) = message else { break };
            match message {
                Ok(Message::Binary(data)) => {
                    if local_out.write_all(&data).await.is_err() {
                        break;
                    }
                }
                Ok(Message::Close(Some(frame)))
                    if frame.code != tungstenite::protocol::frame::coding::CloseCode::Normal =>
                {
                    ending = Ending::Abnormal(format!(
                        "code {}: {}",
                        u16::from(frame.code),
                        frame.reason
                    ));
                }
                Ok(Message::Text(_)) => {
                    ending = Ending::Abnormal("it sent a text frame".into());
                    break;
                }
                Ok(_) => {}
                Err(e) => {
                    ending = Ending::Abnormal(e.to_string());
                    break;
                }
            }
        }
        let _ = local_out.shutdown().await;
        ending
    };
    let ((), ending) = tokio::join!(upstream, downstream);
    match ending {
        Ending::ByEndpoint if we_closed.load(std::sync::atomic::Ordering::SeqCst) => Ending::ByUs,
        ending => ending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_told_apart_by_aws_text() {
        let code = |e: anyhow::Error| crate::error::exit_code(&e);
        let denied = refusal(
            403,
            r#"{"Message":"User: arn:aws:iam::1:user/x is not authorized to perform: ec2-instance-connect:OpenTunnel"}"#,
        );
        assert!(
            denied
                .to_string()
                .contains("ec2-instance-connect:OpenTunnel"),
            "{denied}"
        );
        assert_eq!(code(denied), 6);
        let expired = refusal(
            403,
            "Signature expired: 20261127T000000Z is now earlier than 20261127T000200Z",
        );
        assert!(matches!(
            expired.downcast_ref::<Error>(),
            Some(Error::Expired { .. })
        ));
        let forged = refusal(
            403,
            "SignatureDoesNotMatch: The request signature we calculated does not match",
        );
        assert!(matches!(
            forged.downcast_ref::<Error>(),
            Some(Error::Signature { .. })
        ));
        assert_eq!(code(forged), 6);
        let other = refusal(500, "oops");
        assert_eq!(code(other), 1);
    }
}
