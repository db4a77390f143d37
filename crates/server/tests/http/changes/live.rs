//! Streams and tickets, over a real socket: `serve` on `127.0.0.1:0`, read with reqwest.

use super::{P, app_with, changes, page};
use crate::common::{Actor, TestApp};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server serving the app's state, stopped (gracefully) on drop or with [`Live::stop`].
pub(super) struct Live {
    pub(super) base: String,
    pub(super) client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

pub(super) async fn live(app: &TestApp) -> Live {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel();
    let state = app.state.clone();
    let task = tokio::spawn(depot_server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    Live {
        base,
        client: reqwest::Client::new(),
        stop: Some(stop),
        task: Some(task),
    }
}

impl Live {
    pub(super) fn get(&self, path: &str, actor: &Actor) -> reqwest::RequestBuilder {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(token) = &actor.token {
            request = request.bearer_auth(token);
        }
        request
    }

    /// Opens a stream of `path` (`Accept: text/event-stream`).
    async fn stream(&self, path: &str, actor: &Actor, last_event_id: Option<&str>) -> Sse {
        let mut request = self.get(path, actor).header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        assert_eq!(
            response.headers()["cache-control"].to_str().unwrap(),
            "no-store"
        );
        Sse {
            response,
            buffer: String::new(),
        }
    }

    /// Shuts the server down; returns how long that took.
    async fn stop(&mut self) -> Duration {
        let started = Instant::now();
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap().unwrap();
        started.elapsed()
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// One SSE frame, as its fields.
#[derive(Debug, Default, Clone)]
pub(super) struct Frame {
    id: Option<String>,
    pub(super) event: Option<String>,
    data: Option<String>,
    retry: Option<String>,
    comment: bool,
}

impl Frame {
    fn json(&self) -> Value {
        serde_json::from_str(self.data.as_deref().unwrap()).unwrap()
    }
}

pub(super) struct Sse {
    pub(super) response: reqwest::Response,
    pub(super) buffer: String,
}

impl Sse {
    /// The next frame, or `None` when the server closed the stream; panics after 10 s.
    pub(super) async fn next(&mut self) -> Option<Frame> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let text: String = self.buffer.drain(..end + 2).collect();
                return Some(parse(&text));
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.response.chunk())
                .await
                .expect("a frame within 10 s")
                .unwrap();
            match chunk {
                Some(bytes) => self.buffer.push_str(std::str::from_utf8(&bytes).unwrap()),
                None => {
                    assert!(self.buffer.is_empty(), "a cut frame: {:?}", self.buffer);
                    return None;
                }
            }
        }
    }

    /// The next frame that is an event (not a comment or a bare `id:`).
    pub(super) async fn event(&mut self) -> Frame {
        loop {
            let frame = self
                .next()
                .await
                .expect("an event, not the end of the stream");
            if frame.event.is_some() {
                return frame;
            }
        }
    }
}

fn parse(text: &str) -> Frame {
    let mut frame = Frame::default();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if line.starts_with(':') {
            frame.comment = true;
            continue;
        }
        let (field, value) = line.split_once(": ").unwrap_or((line, ""));
        let value = Some(value.to_owned());
        match field {
            "id" => frame.id = value,
            "event" => frame.event = value,
            "data" => frame.data = value,
            "retry" => frame.retry = value,
            other => panic!("unknown field {other} in {text:?}"),
        }
    }
    frame
}

pub(super) async fn note(app: &TestApp, n: i64) -> Value {
    app.item(P, "notes", json!({"n": n})).await
}

#[tokio::test]
async fn a_stream_opens_with_its_position_and_sends_events_in_order() {
    let (app, reader) = app_with(|_| {}).await;
    let server = live(&app).await;
    let end = page(&app, &reader, "").await["next_cursor"].clone();
    let mut sse = server
        .stream(&changes("?include=item"), &reader, None)
        .await;
    let open = sse.next().await.unwrap();
    assert_eq!(open.retry.as_deref(), Some("1000"));
    assert_eq!(open.id.as_deref(), end.as_str());
    assert!(open.event.is_none() && open.data.is_none());
    let mut written = Vec::new();
    for n in 0..5 {
        written.push(note(&app, n).await);
    }
    for item in &written {
        let frame = sse.event().await;
        assert_eq!(frame.event.as_deref(), Some("create"));
        let event = frame.json();
        assert_eq!(frame.id.as_deref(), event["cursor"].as_str());
        assert_eq!(&event["item"], item);
    }
}

#[tokio::test]
async fn a_resumed_stream_loses_nothing_and_repeats_nothing() {
    let (app, reader) = app_with(|_| {}).await;
    let server = live(&app).await;
    for n in 0..4 {
        note(&app, n).await;
    }
    let mut sse = server
        .stream(&changes("?since=oldest&collections=notes"), &reader, None)
        .await;
    sse.next().await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(sse.event().await.id.unwrap());
    }
    drop(sse);
    // Last-Event-ID wins over `since`.
    let mut again = server
        .stream(&changes("?since=oldest"), &reader, Some(&seen[2]))
        .await;
    assert_eq!(
        again.next().await.unwrap().id.as_deref(),
        Some(seen[2].as_str())
    );
    note(&app, 4).await;
    for _ in 0..3 {
        seen.push(again.event().await.id.unwrap());
    }
    let all: Vec<String> = page(&app, &reader, "?since=oldest").await["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["cursor"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, all, "every event, once");
}

#[tokio::test]
async fn an_idle_stream_gets_keep_alives_that_carry_its_position_past_filtered_events() {
    let (app, reader) = app_with(|c| c.stream_keepalive = Duration::from_millis(200)).await;
    let server = live(&app).await;
    let mut sse = server
        .stream(&changes("?collections=other"), &reader, None)
        .await;
    let open = sse.next().await.unwrap();
    let alive = sse.next().await.unwrap();
    assert!(alive.comment && alive.event.is_none(), "{alive:?}");
    assert_eq!(alive.id, None, "nothing moved");
    note(&app, 1).await;
    let moved = loop {
        let frame = sse.next().await.unwrap();
        assert!(
            frame.event.is_none(),
            "the event was filtered out: {frame:?}"
        );
        if frame.id.is_some() {
            break frame;
        }
    };
    assert!(moved.comment);
    assert_ne!(moved.id, open.id);
    assert_eq!(
        moved.id.as_deref(),
        page(&app, &reader, "").await["next_cursor"].as_str()
    );
}

#[tokio::test]
async fn a_stream_ends_when_its_token_expires() {
    let (app, _) = app_with(|c| c.token_ttl = Duration::from_secs(1)).await;
    let reader = app.client_with(&[&format!("project:{P}:read")]).await;
    let server = live(&app).await;
    let mut sse = server.stream(&changes(""), &reader, None).await;
    let open = sse.next().await.unwrap();
    let end = sse.event().await;
    assert_eq!(end.event.as_deref(), Some("end"));
    assert_eq!(
        end.json(),
        json!({"reason": "token_expired", "cursor": open.id.unwrap()})
    );
    assert!(sse.next().await.is_none(), "closed after the end event");
}

#[tokio::test]
async fn beyond_max_streams_a_stream_is_503_with_retry_after() {
    // A stream notices its client left when it next writes: soon, with short keep-alives.
    let (app, reader) = app_with(|c| {
        c.max_streams = 1;
        c.stream_keepalive = Duration::from_millis(200);
    })
    .await;
    let server = live(&app).await;
    let mut first = server.stream(&changes(""), &reader, None).await;
    first.next().await.unwrap();
    let r = server
        .get(&changes(""), &reader)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], 503);
    let metrics = server
        .client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert!(
        metrics
            .text()
            .await
            .unwrap()
            .contains("depot_streams_open 1")
    );
    // Pages are not streams.
    assert_eq!(
        server
            .get(&changes(""), &reader)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let r = server
            .get(&changes(""), &reader)
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the closed stream's place came free"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn open_streams_hold_no_admission_slot() {
    let (app, reader) = app_with(|c| {
        c.max_in_flight = 1;
        c.queue_timeout = Duration::ZERO;
    })
    .await;
    let server = live(&app).await;
    let mut a = server.stream(&changes(""), &reader, None).await;
    let mut b = server.stream(&changes(""), &reader, None).await;
    a.next().await.unwrap();
    b.next().await.unwrap();
    for _ in 0..3 {
        let r = server
            .get(&format!("/v1/projects/{P}"), &reader)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}

#[tokio::test]
async fn shutdown_ends_streams_with_an_end_event_and_does_not_wait_for_them() {
    let (app, reader) = app_with(|c| c.shutdown_grace = Duration::from_secs(30)).await;
    let mut server = live(&app).await;
    let mut sse = server.stream(&changes(""), &reader, None).await;
    let open = sse.next().await.unwrap();
    let reading = tokio::spawn(async move {
        let end = sse.event().await;
        (end, sse.next().await.is_none())
    });
    let took = server.stop().await;
    assert!(took < Duration::from_secs(5), "{took:?}");
    let (end, closed) = reading.await.unwrap();
    assert_eq!(
        end.json(),
        json!({"reason": "shutdown", "cursor": open.id.unwrap()})
    );
    assert!(closed);
}

#[tokio::test]
async fn streams_of_one_project_share_one_hub_that_ends_with_them() {
    let (app, reader) = app_with(|c| c.stream_keepalive = Duration::from_millis(100)).await;
    let server = live(&app).await;
    let hubs = app.state.streams.hubs();
    let mut a = server.stream(&changes(""), &reader, None).await;
    let mut b = server
        .stream(&changes("?include=item"), &reader, None)
        .await;
    a.next().await.unwrap();
    b.next().await.unwrap();
    note(&app, 1).await;
    assert_eq!(a.event().await.event.as_deref(), Some("create"));
    assert_eq!(b.event().await.event.as_deref(), Some("create"));
    assert_eq!(
        hubs.len(),
        1,
        "one reader for the project, whatever its streams"
    );
    drop((a, b));
    // The hub looks at least every 2 s; the streams notice at their next keep-alive.
    let deadline = Instant::now() + Duration::from_secs(8);
    while !hubs.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the hub ended with its last stream"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_stream_that_falls_too_far_behind_ends_with_lagging() {
    use depot_server::feed::{cursor::Cursor, select::Selection, stream::Spec};
    let (app, reader) = app_with(|_| {}).await;
    let end = page(&app, &reader, "").await["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let streams = &app.state.streams;
    let spec = Spec {
        project: P.to_owned(),
        start: Cursor::parse(&end).unwrap(),
        selection: Selection::default(),
        expires_at: depot_store::now_unix() + 600,
    };
    // A client that reads nothing: its frames pile up, then its hub's events do.
    let mut frames = streams.start(spec, streams.reserve().unwrap(), ());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let behind = depot_server::feed::hub::BUFFER + 40;
    for n in 0..behind {
        note(&app, n as i64).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut last = String::new();
    let mut creates = 0;
    while let Some(frame) = tokio::time::timeout(Duration::from_secs(10), frames.recv())
        .await
        .unwrap()
    {
        creates += usize::from(frame.contains("event: create"));
        last = frame;
    }
    assert!(creates < behind, "{creates}");
    let end = parse(&last);
    assert_eq!(end.event.as_deref(), Some("end"));
    assert_eq!(end.json()["reason"], "lagging");
    // Its cursor is where it got to: resuming from there loses nothing.
    let cursor = end.json()["cursor"].as_str().unwrap().to_owned();
    let rest = page(&app, &reader, &format!("?since={cursor}&limit=1000")).await;
    assert_eq!(
        creates + rest["data"].as_array().unwrap().len(),
        behind,
        "what it sent and what comes after its cursor are every event"
    );
}
