//! A scripted server in raw HTTP/1.1 on `127.0.0.1:0`, for what the axum one can't do:
//! close a connection after reading a request, without a byte of answer. Every answer
//! says `connection: close`, so each attempt has a connection of its own and a drop is
//! seen by exactly that attempt, never by a pooled connection's next request.
//! `/oauth/token` hands out `tok-1`, `tok-2`, ... and never consumes the script.

use super::Seen;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Answer {
    Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: Value,
        /// Sends `Retry-After: <HTTP-date of the wall clock's now + this>`, computed
        /// when the answer goes out.
        retry_after_date_in: Option<Duration>,
    },
    /// Reads the request and closes the connection: a transport failure.
    Drop,
}

#[derive(Default)]
struct State {
    answers: Mutex<VecDeque<Answer>>,
    repeat_last: bool,
    seen: Mutex<Vec<Seen>>,
    token_requests: Mutex<Vec<Seen>>,
}

impl State {
    /// The answer to a non-token request: the next one, the last one again if it
    /// repeats, or a 500 once the script has run out.
    fn next(&self) -> Answer {
        let mut answers = self.answers.lock().unwrap();
        let keep_last = self.repeat_last && answers.len() == 1;
        let next = if keep_last {
            answers.front().cloned()
        } else {
            answers.pop_front()
        };
        next.unwrap_or_else(|| Answer::Reply {
            status: 500,
            headers: Vec::new(),
            body: json!({"code": 500, "message": "the script ran out"}),
            retry_after_date_in: None,
        })
    }

    fn token(&self, seen: Seen) -> Answer {
        let n = {
            let mut tokens = self.token_requests.lock().unwrap();
            tokens.push(seen);
            tokens.len()
        };
        let body = json!({"access_token": format!("tok-{n}"), "token_type": "Bearer", "expires_in": 3600, "scope": "admin"});
        Answer::Reply {
            status: 200,
            headers: Vec::new(),
            body,
            retry_after_date_in: None,
        }
    }
}

/// The running server; it stops when dropped.
pub struct Wire {
    pub base: String,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Wire {
    pub async fn start(answers: Vec<Answer>, repeat_last: bool) -> Wire {
        let state = Arc::new(State {
            answers: Mutex::new(answers.into()),
            repeat_last,
            ..State::default()
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let serving = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, Arc::clone(&serving)));
            }
        });
        Wire { base, state, task }
    }

    /// Every request but the token requests, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn token_requests(&self) -> Vec<Seen> {
        self.state.token_requests.lock().unwrap().clone()
    }
}

impl Drop for Wire {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, state: Arc<State>) {
    // One write per answer, but a small one must not wait for the client's ACK.
    stream.set_nodelay(true).unwrap();
    // A connection closed before a whole request arrived counts as no request.
    let Some(seen) = read_request(&mut stream).await else {
        return;
    };
    let answer = if seen.path == "/oauth/token" {
        state.token(seen)
    } else {
        state.seen.lock().unwrap().push(seen);
        state.next()
    };
    // The whole request was read, so closing (after an answer, or instead of one) is a
    // clean FIN, not a reset.
    if let Answer::Reply {
        status,
        headers,
        body,
        retry_after_date_in,
    } = answer
    {
        let bytes = render(status, &headers, &body, retry_after_date_in);
        if stream.write_all(&bytes).await.is_ok() {
            let _ = stream.shutdown().await;
        }
    }
}

fn render(
    status: u16,
    headers: &[(String, String)],
    body: &Value,
    retry_after_date_in: Option<Duration>,
) -> Vec<u8> {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let body = body.to_string();
    let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(wait) = retry_after_date_in {
        let date = httpdate::fmt_http_date(SystemTime::now() + wait);
        head.push_str(&format!("retry-after: {date}\r\n"));
    }
    head.push_str(&format!(
        "content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    head.into_bytes()
}

/// Reads one request: head, then as many body bytes as `content-length` says.
async fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = stream.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let (method, path) = (start.next()?, start.next()?);
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':')?;
        headers.append(
            HeaderName::from_bytes(name.trim().as_bytes()).ok()?,
            HeaderValue::from_str(value.trim()).ok()?,
        );
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(0);
    let mut body = buf.split_off(end + 4);
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Seen {
        method: Method::from_bytes(method.as_bytes()).ok()?,
        path: path.to_owned(),
        headers,
        body,
    })
}
