//! The change feed (contract §9): pages ([`Client::poll_changes`]), a live stream that
//! resumes by itself ([`Client::changes`], built on the generic [`Client::follow`]), and
//! tickets for a browser's `EventSource` ([`Client::event_source_url`]).
//!
//! A stream remembers the last event id it saw (each event's cursor, and the bare `id:`
//! frame the server sends on open) and reconnects with `Last-Event-ID` when the
//! connection drops, when the server ends it (`event: end`: token expiry, lagging,
//! shutdown) or when the token is refused (a fresh one is fetched, as for any request).
//! Connecting retries a 503 or 429 with the client's backoff; any other error (a 410
//! for a cursor past retention, a 403, a 404) is the stream's last item. Each reconnect
//! is a `tracing` event.

use crate::auth::form_encode as enc;
use crate::client::{Client, Opened, Spec};
use crate::error::{ClientError, describe};
use crate::query::Filter;
use crate::sse::{SseEvent, SseParser};
use futures_util::Stream;
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::time::Duration;

type Result<T> = std::result::Result<T, ClientError>;

/// One event of the feed. Collection events have no `id`, `version` or `item`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeEvent {
    /// Where the feed continues after this event (opaque).
    pub cursor: String,
    /// `create`, `update`, `delete`, `expire`, `collection_create`, ...
    pub op: String,
    pub collection: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// When it was committed, RFC 3339.
    pub at: String,
    /// The item as a GET shows it: creates and updates, with `include_item`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<Value>,
}

/// A page of the feed; `next_cursor` is never null: it is where to continue.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChangesPage {
    pub data: Vec<ChangeEvent>,
    pub next_cursor: String,
}

/// A single-use ticket that opens one stream without a token (valid `expires_in` s).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChangesTicket {
    pub ticket: String,
    pub expires_in: u64,
}

/// What part of the feed to read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangesQuery {
    /// A cursor, `"oldest"`, or `None`: the feed's current end (only what happens next).
    pub since: Option<String>,
    /// Only events of these collections; empty: all.
    pub collections: Vec<String>,
    /// Only item events whose item matches (collection events are then dropped).
    pub filter: Option<Filter>,
    /// Creates and updates carry `item`.
    pub include_item: bool,
}

impl ChangesQuery {
    /// `?since=..&collections=..&filter=..&include=item` plus `extra`, encoded.
    fn query_string(&self, extra: &[(&str, String)]) -> Result<String> {
        let mut parts: Vec<(&str, String)> = Vec::new();
        if let Some(since) = &self.since {
            parts.push(("since", since.clone()));
        }
        if !self.collections.is_empty() {
            parts.push(("collections", self.collections.join(",")));
        }
        if let Some(filter) = &self.filter {
            parts.push(("filter", filter.render()?));
        }
        if self.include_item {
            parts.push(("include", "item".into()));
        }
        parts.extend(extra.iter().cloned());
        Ok(encode_query(&parts))
    }
}

/// `?a=1&b=x`, %-encoded; or nothing.
pub(crate) fn encode_query(parts: &[(&str, String)]) -> String {
    if parts.is_empty() {
        return String::new();
    }
    let pairs: Vec<String> = parts
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    format!("?{}", pairs.join("&"))
}

fn changes_path(project: &str) -> String {
    format!("/v1/projects/{}/changes", enc(project))
}

impl Client {
    /// A page of the feed. Continue with `since = page.next_cursor`.
    pub async fn poll_changes(
        &self,
        project: &str,
        query: &ChangesQuery,
        limit: Option<u32>,
    ) -> Result<ChangesPage> {
        let extra: Vec<(&str, String)> = limit
            .map(|l| ("limit", l.to_string()))
            .into_iter()
            .collect();
        let path = format!("{}{}", changes_path(project), query.query_string(&extra)?);
        self.send_json(Method::GET, &path, None).await
    }

    /// The feed as it happens: a `Stream` of events that resumes by itself (see the
    /// module's documentation). Ends only with an error it can't get past.
    pub fn changes(
        &self,
        project: &str,
        query: &ChangesQuery,
    ) -> impl Stream<Item = Result<ChangeEvent>> + Send + use<> {
        use futures_util::StreamExt;
        let path = query
            .query_string(&[])
            .map(|q| format!("{}{q}", changes_path(project)));
        let client = self.clone();
        let events = match path {
            Ok(path) => client.follow(&path).left_stream(),
            Err(e) => futures_util::stream::once(async move { Err(e) }).right_stream(),
        };
        events.map(|event| {
            let event = event?;
            serde_json::from_str::<ChangeEvent>(&event.data)
                .map_err(|e| ClientError::Decode(format!("change event {}: {e}", event.id)))
        })
    }

    /// Any Server-Sent Events stream at `path` (and query), resuming by itself with
    /// `Last-Event-ID` after a drop or an `event: end` (whose `cursor`, if its data has
    /// one, is where it resumes); the `end` events themselves are not yielded.
    pub fn follow(&self, path: &str) -> impl Stream<Item = Result<SseEvent>> + Send + use<> {
        let state = Follow {
            client: self.clone(),
            path: path.to_owned(),
            last_event_id: None,
            retry: Duration::from_secs(1),
            barren: 0,
            conn: None,
            pending: VecDeque::new(),
            done: false,
        };
        futures_util::stream::unfold(state, Follow::next)
    }

    /// A single-use ticket (60 s) that opens one stream of `project` without a token.
    pub async fn changes_ticket(&self, project: &str) -> Result<ChangesTicket> {
        let path = format!("{}/tickets", changes_path(project));
        self.send_json(Method::POST, &path, Some(&json!({}))).await
    }

    /// A stream URL carrying a fresh ticket instead of the token, for a browser's
    /// `new EventSource(url)`. The ticket works once.
    pub async fn event_source_url(&self, project: &str, query: &ChangesQuery) -> Result<String> {
        let ticket = self.changes_ticket(project).await?.ticket;
        let q = query.query_string(&[("ticket", ticket)])?;
        Ok(format!("{}{}{q}", self.base_url(), changes_path(project)))
    }
}

/// One open connection of a [`Client::follow`] stream.
struct Conn {
    response: reqwest::Response,
    parser: SseParser,
    events: u32,
    /// Why it is over, once it is (its pending events are delivered first).
    over: Option<String>,
    end_cursor: Option<String>,
}

struct Follow {
    client: Client,
    path: String,
    last_event_id: Option<String>,
    retry: Duration,
    /// Connections in a row that brought no event.
    barren: u32,
    conn: Option<Conn>,
    pending: VecDeque<SseEvent>,
    done: bool,
}

impl Follow {
    async fn next(mut self) -> Option<(Result<SseEvent>, Follow)> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                if !event.id.is_empty() {
                    self.last_event_id = Some(event.id.clone());
                }
                return Some((Ok(event), self));
            }
            if self.done {
                return None;
            }
            let Some(conn) = self.conn.as_mut() else {
                if let Err(e) = self.connect().await {
                    self.done = true;
                    return Some((Err(e), self));
                }
                continue;
            };
            if conn.over.is_some() {
                self.reconnect_delay().await;
                continue;
            }
            match conn.response.chunk().await {
                Ok(Some(bytes)) => {
                    for event in conn.parser.push(&bytes) {
                        if event.event == "end" {
                            let end: Value = serde_json::from_str(&event.data).unwrap_or_default();
                            let reason = end["reason"].as_str().unwrap_or("unknown");
                            conn.over = Some(format!("end:{reason}"));
                            conn.end_cursor = end["cursor"].as_str().map(str::to_owned);
                            break;
                        }
                        conn.events += 1;
                        self.pending.push_back(event);
                    }
                }
                Ok(None) => conn.over = Some("the connection closed".into()),
                Err(e) => conn.over = Some(describe(&e)),
            }
        }
    }

    async fn connect(&mut self) -> Result<()> {
        let mut spec = Spec::new(Method::GET, self.path.clone());
        spec.headers
            .insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        if let Some(id) = &self.last_event_id {
            let value = HeaderValue::try_from(id.as_str())
                .map_err(|_| ClientError::Decode(format!("event id {id:?}")))?;
            spec.headers
                .insert(HeaderName::from_static("last-event-id"), value);
        }
        match self.client.open_stream(spec).await? {
            Opened::Stream(response) => {
                self.conn = Some(Conn {
                    response,
                    parser: SseParser::new(self.last_event_id.as_deref().unwrap_or("")),
                    events: 0,
                    over: None,
                    end_cursor: None,
                });
                Ok(())
            }
            Opened::Answer(answer) => Err(answer
                .error_for_status()
                .err()
                .unwrap_or_else(|| ClientError::Decode("a stream without a body".into()))),
        }
    }

    /// Forgets the finished connection, notes where to resume, and waits: nothing
    /// after an `event: end`, the server's `retry` after a drop; both growing with the
    /// backoff while connections keep ending without an event.
    async fn reconnect_delay(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if !conn.parser.last_event_id.is_empty() {
            self.last_event_id = Some(conn.parser.last_event_id.clone());
        }
        if let Some(cursor) = conn.end_cursor.filter(|c| !c.is_empty()) {
            self.last_event_id = Some(cursor);
        }
        if let Some(ms) = conn.parser.retry_ms {
            self.retry = Duration::from_millis(ms);
        }
        self.barren = if conn.events > 0 { 0 } else { self.barren + 1 };
        let reason = conn.over.unwrap_or_default();
        let delay = if reason.starts_with("end:") && self.barren <= 1 {
            Duration::ZERO
        } else {
            let policy = self.client.retry_policy();
            policy.delay(self.barren.saturating_sub(1).min(30), Some(self.retry))
        };
        tracing::info!(
            path = %self.path,
            %reason,
            cursor = self.last_event_id.as_deref().unwrap_or(""),
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "stream reconnecting"
        );
        if !delay.is_zero() {
            self.client.sleep(delay).await;
        }
    }
}
