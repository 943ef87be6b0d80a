//! Network latency in front of a local server, as a function in AWS sees
//! DynamoDB and SSM: an HTTP/1.1 proxy that delays each request and each
//! response by half a round trip, and the first request of each new
//! connection by `handshake_rtts` more round trips — what TCP's handshake
//! (1) and TLS 1.3's (1; TLS 1.2: 2) cost before a request can be sent.
//! (The client still speaks plain HTTP: the handshakes' CPU is not
//! emulated, only their round trips.)
//!
//! Like DynamoDB and SSM, and unlike moto (whose development server closes
//! every connection after one answer), the proxy keeps the client's
//! connection open between requests, so a client's pool pays the
//! handshakes once per connection, as in AWS. Each request goes to the
//! local server on a connection of its own (loopback, no added latency).
//! `GET /` is answered as DynamoDB's endpoints answer it (200, `healthy:
//! dynamodb.us-east-1.amazonaws.com`; moto answers 500, and the SDK drops a
//! connection after a 5xx).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use crate::faults::read_message;

/// The proxy; it stops when dropped.
pub struct DelayProxy {
    /// `http://127.0.0.1:<port>`, to give a client as its endpoint.
    pub endpoint: String,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl DelayProxy {
    /// Proxies to `upstream` (`http://host:port`) with round trip `rtt`.
    pub async fn start(upstream: &str, rtt: Duration, handshake_rtts: u32) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (opened, served) = (connections.clone(), requests.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let accepted = Instant::now();
                opened.fetch_add(1, Ordering::Relaxed);
                let (upstream, served) = (upstream.clone(), served.clone());
                tokio::spawn(async move {
                    let ready = accepted + rtt * handshake_rtts;
                    let _ = serve(client, &upstream, rtt, ready, &served).await;
                });
            }
        });
        DelayProxy {
            endpoint,
            connections,
            requests,
            task,
        }
    }

    /// Connections clients opened through the proxy so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }

    /// Requests forwarded so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `head` without its `Connection` header: the client's connection stays
/// open whatever the local server says about its own.
fn keep_alive(head: &str) -> String {
    head.split("\r\n")
        .filter(|line| {
            !line
                .split_once(':')
                .is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case("connection"))
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// One client connection: each request after half a round trip (the first
/// not before the handshakes are done), each answer half a round trip later.
async fn serve(
    mut client: TcpStream,
    upstream: &str,
    rtt: Duration,
    ready: Instant,
    served: &AtomicUsize,
) -> std::io::Result<()> {
    let _ = client.set_nodelay(true);
    while let Some((head, body)) = read_message(&mut client).await? {
        tokio::time::sleep_until(Instant::now().max(ready) + rtt / 2).await;
        if head.starts_with("GET / ") {
            let healthy = "healthy: dynamodb.us-east-1.amazonaws.com";
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n{healthy}",
                healthy.len()
            );
            served.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(rtt / 2).await;
            client.write_all(answer.as_bytes()).await?;
            continue;
        }
        let mut server = TcpStream::connect(upstream).await?;
        let _ = server.set_nodelay(true);
        let head = keep_alive(&head).replacen("\r\n\r\n", "\r\nconnection: close\r\n\r\n", 1);
        server.write_all(head.as_bytes()).await?;
        server.write_all(&body).await?;
        let Some((answer, answer_body)) = read_message(&mut server).await? else {
            return Ok(());
        };
        served.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(rtt / 2).await;
        client.write_all(keep_alive(&answer).as_bytes()).await?;
        client.write_all(&answer_body).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::keep_alive;

    #[test]
    fn the_servers_connection_header_is_dropped() {
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n";
        assert_eq!(
            keep_alive(head),
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
        );
    }
}
