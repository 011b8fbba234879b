//! One pooled HTTP client from a lifespan, against a new client per request.
//!
//! A lifespan starts a local HTTPS server with a self-signed certificate made at
//! startup; another builds one `reqwest` client that trusts it, shared by the whole
//! app. The example makes N requests each way and prints both totals, both p95
//! latencies and the speedup: a new client pays a TCP connect and a TLS handshake per
//! request, the pooled one only once.
//!
//! ```text
//! cargo run --release --example shared_http_pool              # 200 requests each way
//! cargo run --release --example shared_http_pool -- --requests 1000
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lifespan::{lifespan, yield_app};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;

/// Where the server listens, and the certificate clients must trust.
struct Server {
    address: SocketAddr,
    certificate: CertificateDer<'static>,
}

type BoxError = lifespan::BoxError;

/// An HTTPS server answering `ok`, with a certificate for 127.0.0.1 made now.
#[lifespan]
async fn https_server() -> Result<Server, BoxError> {
    let rcgen::CertifiedKey { cert, key_pair } =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der()));
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    lifespan::spawn("accept", async move {
        while let Some(accepted) = lifespan::until_shutdown(listener.accept()).await {
            let (stream, _) = accepted?;
            lifespan::spawn_isolated("connection", serve(acceptor.clone(), stream));
        }
        Ok::<(), std::io::Error>(())
    });
    yield_app!(Server {
        address,
        certificate: cert.der().clone(),
    });
    println!("server: stopping; the accept loop and its connections stop next");
    Ok(())
}

/// One TLS connection, served with keep-alive until the client leaves or shutdown.
async fn serve(
    acceptor: tokio_rustls::TlsAcceptor,
    stream: tokio::net::TcpStream,
) -> Result<(), BoxError> {
    let stream = acceptor.accept(stream).await?;
    let service = hyper::service::service_fn(|_request| async {
        Ok::<_, Infallible>(hyper::Response::new(String::from("ok")))
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        served = connection.as_mut() => served?,
        () = lifespan::shutdown_requested() => {
            connection.as_mut().graceful_shutdown();
            connection.await?;
        }
    }
    Ok(())
}

/// A client that trusts `certificate`.
fn client(certificate: &CertificateDer<'_>) -> Result<reqwest::Client, BoxError> {
    Ok(reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_der(certificate)?)
        .build()?)
}

/// The app's one client: its connection pool lives as long as the app.
#[lifespan]
async fn shared_client(certificate: CertificateDer<'static>) -> Result<reqwest::Client, BoxError> {
    let shared = client(&certificate)?;
    yield_app!(shared);
    println!("client: connection pool closed");
    Ok(())
}

/// Total time and p95 of `requests` GETs, each made with the client `pick` returns.
async fn measure(
    requests: usize,
    url: &str,
    mut pick: impl FnMut() -> Result<reqwest::Client, BoxError>,
) -> Result<(Duration, Duration), BoxError> {
    let mut latencies = Vec::with_capacity(requests);
    let started = Instant::now();
    for _ in 0..requests {
        let sent = Instant::now();
        let body = pick()?
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        assert_eq!(body, "ok");
        latencies.push(sent.elapsed());
    }
    let total = started.elapsed();
    latencies.sort();
    let p95 = latencies[(latencies.len() * 95 / 100).min(latencies.len() - 1)];
    Ok((total, p95))
}

#[lifespan::main(shutdown_timeout = "10s")]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    let requests = args
        .iter()
        .position(|arg| arg == "--requests")
        .and_then(|at| args.get(at + 1))
        .map_or(Ok(200), |count| count.parse::<usize>())?;
    let server = https_server().enter().await?;
    let shared = shared_client(server.certificate.clone()).enter().await?;
    let url = format!("https://{}/", server.address);

    let (fresh_total, fresh_p95) = measure(requests, &url, || client(&server.certificate)).await?;
    let (pooled_total, pooled_p95) = measure(requests, &url, || Ok(shared.clone())).await?;
    println!(
        "new client per request: {requests} requests in {fresh_total:.2?}, p95 {fresh_p95:.2?}"
    );
    println!(
        "one pooled client:      {requests} requests in {pooled_total:.2?}, p95 {pooled_p95:.2?}"
    );
    println!(
        "speedup: {:.2}x (the seed workload saw 3.41x)",
        fresh_total.as_secs_f64() / pooled_total.as_secs_f64()
    );
    lifespan::request_shutdown();
    yield_app!();
    Ok(())
}
