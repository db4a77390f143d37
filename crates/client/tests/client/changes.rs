//! The change stream against a tiny fake SSE server (a tokio `TcpListener` writing raw
//! HTTP/1.1): a drop, an `event: end` and a refused token, each resumed from the right
//! `Last-Event-ID`, with a fresh token after the 401; and a 503 then a 410 on connect.

use depot_client::{ChangeEvent, ChangesQuery, Client, RetryPolicy};
use futures_util::StreamExt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What each stream request carried: `Last-Event-ID`, `since`, `Authorization`.
type Seen = Arc<Mutex<Vec<(Option<String>, Option<String>, Option<String>)>>>;

/// What the server does with the n-th stream request.
#[derive(Clone)]
enum Script {
    /// `200 text/event-stream`, these chunks (each written apart), then close or drop.
    Sse(Vec<String>, End),
    Status(u16, Vec<(&'static str, &'static str)>),
}

#[derive(Clone, Copy)]
enum End {
    Finish,
    Drop,
    StayOpen,
}

struct Request {
    line: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}

async fn read_request(socket: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if socket.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = text.split("\r\n");
    let line = lines.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let request = Request { line, headers };
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    socket.read_exact(&mut body).await.ok()?;
    Some(request)
}

async fn fake_server(scripts: Vec<Script>) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let scripts = Arc::new(Mutex::new(scripts));
    let tokens = Arc::new(Mutex::new(0));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let (scripts, tokens, seen) = (
                Arc::clone(&scripts),
                Arc::clone(&tokens),
                Arc::clone(&record),
            );
            tokio::spawn(async move {
                while let Some(req) = read_request(&mut socket).await {
                    if req.line.starts_with("POST /oauth/token") {
                        let n = {
                            let mut t = tokens.lock().unwrap();
                            *t += 1;
                            *t
                        };
                        let body = format!(
                            r#"{{"access_token":"t{n}","token_type":"Bearer","expires_in":3600,"scope":"admin"}}"#
                        );
                        let head = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                            body.len()
                        );
                        socket.write_all((head + &body).as_bytes()).await.unwrap();
                        continue;
                    }
                    let since = req.line.split_once("since=").map(|(_, rest)| {
                        rest.split([' ', '&']).next().unwrap_or_default().to_owned()
                    });
                    seen.lock().unwrap().push((
                        req.header("last-event-id"),
                        since,
                        req.header("authorization"),
                    ));
                    let script = {
                        let mut s = scripts.lock().unwrap();
                        if s.is_empty() {
                            None
                        } else {
                            Some(s.remove(0))
                        }
                    };
                    match script {
                        None => return,
                        Some(Script::Status(status, headers)) => {
                            let body = format!(r#"{{"code":{status},"message":"scripted"}}"#);
                            let mut head = format!(
                                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
                                body.len()
                            );
                            for (k, v) in headers {
                                head.push_str(&format!("{k}: {v}\r\n"));
                            }
                            socket
                                .write_all(format!("{head}\r\n{body}").as_bytes())
                                .await
                                .unwrap();
                        }
                        Some(Script::Sse(chunks, end)) => {
                            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-store\r\ntransfer-encoding: chunked\r\n\r\n";
                            socket.write_all(head.as_bytes()).await.unwrap();
                            for chunk in chunks {
                                let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
                                socket.write_all(framed.as_bytes()).await.unwrap();
                                socket.flush().await.unwrap();
                                tokio::time::sleep(Duration::from_millis(10)).await;
                            }
                            match end {
                                End::Finish => {
                                    socket.write_all(b"0\r\n\r\n").await.unwrap();
                                    return;
                                }
                                End::Drop => return,
                                End::StayOpen => {
                                    tokio::time::sleep(Duration::from_secs(30)).await;
                                    return;
                                }
                            }
                        }
                    }
                }
            });
        }
    });
    (base, seen)
}

fn event(cursor: &str, op: &str) -> String {
    let data = format!(
        r#"{{"cursor":"{cursor}","op":"{op}","collection":"notes","id":"i{cursor}","version":1,"at":"2026-01-01T00:00:00Z"}}"#
    );
    format!("id: {cursor}\nevent: {op}\ndata: {data}\n\n")
}

fn client(base: &str, credentials: bool) -> Client {
    let builder = Client::builder(base).retry_policy(
        RetryPolicy::default()
            .with_base(Duration::from_millis(1))
            .with_cap(Duration::from_millis(50)),
    );
    let builder = if credentials {
        builder.client_credentials("id", "secret")
    } else {
        builder.token("tok")
    };
    builder.build().unwrap()
}

#[tokio::test]
async fn a_stream_resumes_after_a_drop_an_end_and_a_refused_token() {
    let ev11 = event("1.1", "create").replace('\n', "\r\n");
    let (a, rest) = ev11.split_at(9);
    let (b, rest) = rest.split_at(31);
    let (c, d) = rest.split_at(rest.len() - 1);
    let end = "event: end\ndata: {\"reason\":\"token_expired\",\"cursor\":\"1.2\"}\n\n";
    let scripts = vec![
        Script::Sse(
            vec![
                "retry: 5\r\nid: 1.0\r\n\r\n".into(),
                ": keep-alive\r\n".into(),
            ],
            End::Drop,
        ),
        Script::Sse(
            ["id: 1.1\n\n", a, b, c, d, end].map(String::from).to_vec(),
            End::Finish,
        ),
        Script::Status(
            401,
            vec![("www-authenticate", "Bearer error=\"invalid_token\"")],
        ),
        Script::Sse(
            vec![format!("id: 1.2\n\n{}", event("1.3", "update"))],
            End::StayOpen,
        ),
    ];
    let (base, seen) = fake_server(scripts).await;
    let depot = client(&base, true);
    let query = ChangesQuery {
        since: Some("oldest".into()),
        ..ChangesQuery::default()
    };
    let got: Vec<ChangeEvent> = depot
        .changes("p", &query)
        .take(2)
        .map(Result::unwrap)
        .collect()
        .await;
    let got: Vec<(&str, &str)> = got
        .iter()
        .map(|e| (e.cursor.as_str(), e.op.as_str()))
        .collect();
    assert_eq!(got, [("1.1", "create"), ("1.3", "update")]);
    let s = |x: &str| Some(x.to_owned());
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (None, s("oldest"), s("Bearer t1")),
            (s("1.0"), s("oldest"), s("Bearer t1")),
            (s("1.2"), s("oldest"), s("Bearer t1")),
            (s("1.2"), s("oldest"), s("Bearer t2")),
        ]
    );
}

#[tokio::test]
async fn a_503_on_connect_is_retried_and_a_410_ends_the_stream() {
    let scripts = vec![
        Script::Status(503, vec![("retry-after", "0")]),
        Script::Status(410, vec![]),
    ];
    let (base, seen) = fake_server(scripts).await;
    let depot = client(&base, false);
    let query = ChangesQuery {
        since: Some("9.9".into()),
        ..ChangesQuery::default()
    };
    let all: Vec<_> = depot.changes("p", &query).collect().await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].as_ref().unwrap_err().status(), Some(410));
    assert_eq!(seen.lock().unwrap().len(), 2);
}
