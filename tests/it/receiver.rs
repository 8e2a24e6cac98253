//! A real HTTP webhook receiver for tests (and the webhook benchmark): listens on 127.0.0.1
//! port 0, records each request's raw body bytes, headers and arrival time, and answers from a
//! per-request script (status, `Retry-After`, hanging) before falling back to a default reply.
//! HTTP/1.1 with keep-alive and `Content-Length` bodies: what the dispatcher's client sends.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

/// How the receiver answers one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<String>,
    /// Wait this long before answering (a slow or hanging receiver).
    pub hang: Option<Duration>,
    pub body: String,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            retry_after: None,
            hang: None,
            body: format!("status {status}"),
        }
    }

    pub fn ok() -> Reply {
        Reply::status(200)
    }

    /// Answers 200 only after `duration`: longer than the dispatcher's timeout, it never answers.
    pub fn hang(duration: Duration) -> Reply {
        Reply {
            hang: Some(duration),
            ..Reply::ok()
        }
    }

    pub fn with_retry_after(mut self, value: impl Into<String>) -> Reply {
        self.retry_after = Some(value.into());
        self
    }

    pub fn with_body(mut self, body: impl Into<String>) -> Reply {
        self.body = body.into();
        self
    }
}

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// Names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The exact body bytes.
    pub body: Vec<u8>,
    pub arrived_at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the webhook body is JSON")
    }
}

struct State {
    received: Vec<Received>,
    script: VecDeque<Reply>,
    default: Reply,
}

pub struct Receiver {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    arrived: Arc<Notify>,
    accept_task: JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        // Dropping the accept task drops its JoinSet, which aborts every connection task.
        self.accept_task.abort();
    }
}

impl Receiver {
    /// Starts a receiver answering 200 to everything.
    pub async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the receiver");
        let addr = listener.local_addr().expect("receiver address");
        let state = Arc::new(Mutex::new(State {
            received: Vec::new(),
            script: VecDeque::new(),
            default: Reply::ok(),
        }));
        let arrived = Arc::new(Notify::new());
        let accept_task = tokio::spawn(accept_loop(listener, state.clone(), arrived.clone()));
        Receiver {
            addr,
            state,
            arrived,
            accept_task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Replies used in order for the next requests, before the default applies again.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.lock().unwrap().script.extend(replies);
    }

    /// The reply once the script is used up.
    pub fn set_default(&self, reply: Reply) {
        self.state.lock().unwrap().default = reply;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn count(&self) -> usize {
        self.state.lock().unwrap().received.len()
    }

    /// Waits until at least `n` requests have arrived (panicking after `timeout`) and returns all
    /// of them.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.arrived.notified();
            tokio::pin!(notified);
            // Registered before the check, so an arrival in between still wakes us.
            notified.as_mut().enable();
            {
                let state = self.state.lock().unwrap();
                if state.received.len() >= n {
                    return state.received.clone();
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let got = self.count();
                panic!("receiver: expected {n} requests within {timeout:?}, got {got}");
            }
        }
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<Mutex<State>>, arrived: Arc<Notify>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                connections.spawn(serve_connection(stream, state.clone(), arrived.clone()));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Serves requests on one keep-alive connection until the client closes it.
async fn serve_connection(mut stream: TcpStream, state: Arc<Mutex<State>>, arrived: Arc<Notify>) {
    let mut buffer: Vec<u8> = Vec::with_capacity(8192);
    loop {
        let Some((request, close)) = read_request(&mut stream, &mut buffer).await else {
            return;
        };
        let reply = {
            let mut state = state.lock().unwrap();
            state.received.push(request);
            let State { script, default, .. } = &mut *state;
            script.pop_front().unwrap_or_else(|| default.clone())
        };
        arrived.notify_waiters();
        if let Some(hang) = reply.hang {
            tokio::time::sleep(hang).await;
        }
        let mut head = format!(
            "HTTP/1.1 {} Scripted\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n",
            reply.status,
            reply.body.len()
        );
        if let Some(retry_after) = &reply.retry_after {
            head.push_str(&format!("Retry-After: {retry_after}\r\n"));
        }
        head.push_str("\r\n");
        let mut response = head.into_bytes();
        response.extend_from_slice(reply.body.as_bytes());
        if stream.write_all(&response).await.is_err() || close {
            return;
        }
    }
}

/// Reads one request (head + `Content-Length` body) from the stream; `None` when the client is
/// gone. Bytes of a pipelined next request stay in `buffer`. The flag says `Connection: close`.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<(Received, bool)> {
    let head_end = loop {
        if let Some(pos) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        if !read_more(stream, buffer).await {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let path = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let content_length: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let close = header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
    let body_start = head_end + 4;
    while buffer.len() < body_start + content_length {
        if !read_more(stream, buffer).await {
            return None;
        }
    }
    let body = buffer[body_start..body_start + content_length].to_vec();
    buffer.drain(..body_start + content_length);
    let received = Received {
        method,
        path,
        headers,
        body,
        arrived_at: Instant::now(),
    };
    Some((received, close))
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 8192];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buffer.extend_from_slice(&chunk[..n]);
            true
        }
    }
}
