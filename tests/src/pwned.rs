//! A local stand-in for Have I Been Pwned's range API
//! (`GET /range/{first 5 hex of SHA-1}`), built from a known list of
//! passwords with an independent SHA-1 (the `sha1` crate): each answer
//! lists `SUFFIX:COUNT` for the listed passwords under the prefix, and,
//! when asked with `Add-Padding: true`, padding lines of count 0 as the
//! real API adds. It records every request's path and headers.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha1::{Digest, Sha1};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request the server got: its path and its headers (lower-cased names).
#[derive(Debug, Clone)]
pub struct Asked {
    pub path: String,
    pub headers: Vec<(String, String)>,
}

pub struct RangeServer {
    /// The base URL for `PASSWORD_BREACH_CHECK_URL` (ends with `/range/`).
    pub url: String,
    pub asked: Arc<Mutex<Vec<Asked>>>,
}

/// The SHA-1 of `password`, upper-case hex.
pub fn sha1_hex(password: &str) -> String {
    Sha1::digest(password.as_bytes())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

impl RangeServer {
    /// Serves `known` (password, times seen), answering each request after
    /// `delay`.
    pub async fn start(known: &[(&str, u64)], delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/range/", listener.local_addr().unwrap());
        let hashes: Vec<(String, u64)> = known.iter().map(|(p, n)| (sha1_hex(p), *n)).collect();
        let asked: Arc<Mutex<Vec<Asked>>> = Arc::default();
        let log = asked.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (hashes, log) = (hashes.clone(), log.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let mut lines = head.lines();
                    let path = (lines.next().unwrap_or_default().split(' '))
                        .nth(1)
                        .unwrap_or_default()
                        .to_owned();
                    let headers: Vec<(String, String)> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect();
                    let padded = headers
                        .iter()
                        .any(|(k, v)| k == "add-padding" && v.eq_ignore_ascii_case("true"));
                    log.lock().unwrap().push(Asked {
                        path: path.clone(),
                        headers,
                    });
                    tokio::time::sleep(delay).await;
                    let prefix = path
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_ascii_uppercase();
                    let mut body: String = hashes
                        .iter()
                        .filter(|(h, _)| h.starts_with(&prefix))
                        .map(|(h, n)| format!("{}:{n}\r\n", &h[5..]))
                        .collect();
                    if padded {
                        for i in 0..800u32 {
                            body.push_str(&format!("{:035X}:0\r\n", u128::from(i) * 7919));
                        }
                    }
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(answer.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        RangeServer { url, asked }
    }

    /// What it was asked, so far.
    pub fn asked(&self) -> Vec<Asked> {
        self.asked.lock().unwrap().clone()
    }
}
