//! Fault injection for DynamoDB: a dead endpoint, a black hole that accepts
//! connections and never answers, and a proxy in front of the real server
//! that can answer an operation with a throttling error or forward it and
//! then drop the response (the write lands, the caller never hears).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// An endpoint where nothing listens.
pub fn dead_endpoint() -> String {
    format!("http://127.0.0.1:{}", crate::free_port())
}

/// An endpoint that accepts connections and never answers.
pub async fn black_hole() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{addr}")
}

/// What the proxy does with one DynamoDB operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Forward,
    /// Answer `ThrottlingException` without forwarding.
    Throttle,
    /// Forward, then close the connection instead of answering.
    DropResponse,
}

/// Decides each request's fault from its operation, how many requests for
/// that operation came before (0 for the first) and its JSON body.
pub type Rule = Arc<dyn Fn(&str, usize, &str) -> Fault + Send + Sync>;

pub struct FaultProxy {
    pub endpoint: String,
    seen: Arc<Mutex<HashMap<String, usize>>>,
}

impl FaultProxy {
    pub async fn start(upstream: &str, rule: Rule) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let counts = seen.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (rule, upstream, counts) = (rule.clone(), upstream.clone(), counts.clone());
                tokio::spawn(async move {
                    let _ = serve(socket, &upstream, rule, counts).await;
                });
            }
        });
        FaultProxy { endpoint, seen }
    }

    /// Requests seen per operation.
    pub fn seen(&self, op: &str) -> usize {
        self.seen.lock().unwrap().get(op).copied().unwrap_or(0)
    }
}

/// One HTTP/1.1 message: head and body (by Content-Length). Enough for the
/// SDK's requests, moto's answers and the Lambda Runtime API.
pub async fn read_message(socket: &mut TcpStream) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let mut chunk = vec![0u8; length - body.len()];
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Some((head, body)))
}

fn operation(head: &str) -> String {
    head.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("x-amz-target")
                .then(|| v.trim().rsplit('.').next().unwrap_or("?").to_owned())
        })
        .unwrap_or_else(|| "?".into())
}

async fn serve(
    mut client: TcpStream,
    upstream: &str,
    rule: Rule,
    counts: Arc<Mutex<HashMap<String, usize>>>,
) -> std::io::Result<()> {
    while let Some((head, body)) = read_message(&mut client).await? {
        let op = operation(&head);
        let n = {
            let mut c = counts.lock().unwrap();
            let e = c.entry(op.clone()).or_default();
            *e += 1;
            *e - 1
        };
        match rule(&op, n, &String::from_utf8_lossy(&body)) {
            Fault::Throttle => {
                let body = br#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#;
                let head = format!(
                    "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\nx-amzn-errortype: ThrottlingException\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                client.write_all(head.as_bytes()).await?;
                client.write_all(body).await?;
            }
            fault => {
                let mut server = TcpStream::connect(upstream).await?;
                // One request per upstream connection keeps framing simple.
                let head = head.replacen("\r\n\r\n", "\r\nconnection: close\r\n\r\n", 1);
                server.write_all(head.as_bytes()).await?;
                server.write_all(&body).await?;
                let Some((rhead, rbody)) = read_message(&mut server).await? else {
                    return Ok(());
                };
                if fault == Fault::DropResponse {
                    return Ok(()); // the write landed; the caller never hears
                }
                client.write_all(rhead.as_bytes()).await?;
                client.write_all(&rbody).await?;
            }
        }
    }
    Ok(())
}
