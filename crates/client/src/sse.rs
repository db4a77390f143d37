//! A Server-Sent Events parser (the WHATWG HTML "event stream interpretation"), fed
//! bytes in chunks of any size: a chunk may end in the middle of a line, of a UTF-8
//! character, or between the `\r` and `\n` of one line end. Lines are split on the
//! bytes `\r` and `\n` (never part of a multi-byte UTF-8 character) and decoded whole.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, or "message".
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The last event id after this event (its own `id:`, or one seen before).
    pub id: String,
}

#[derive(Debug, Default)]
pub struct SseParser {
    /// The last `id:` seen, also in a frame without data (which dispatches nothing).
    pub last_event_id: String,
    /// The last valid `retry:`, in ms.
    pub retry_ms: Option<u64>,
    buffer: Vec<u8>,
    after_cr: bool,
    started: bool,
    data: Vec<String>,
    event: String,
    id: String,
}

impl SseParser {
    /// A parser whose `last_event_id` starts as `last_event_id`.
    pub fn new(last_event_id: &str) -> SseParser {
        SseParser {
            last_event_id: last_event_id.to_owned(),
            id: last_event_id.to_owned(),
            ..SseParser::default()
        }
    }

    /// Feeds bytes; returns the events they completed.
    pub fn push(&mut self, mut bytes: &[u8]) -> Vec<SseEvent> {
        if !self.started && !bytes.is_empty() {
            self.started = true;
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        if self.after_cr && !bytes.is_empty() {
            bytes = bytes.strip_prefix(b"\n").unwrap_or(bytes);
            self.after_cr = false;
        }
        self.buffer.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut start = 0;
        let mut at = 0;
        while at < self.buffer.len() {
            let b = self.buffer[at];
            if b != b'\r' && b != b'\n' {
                at += 1;
                continue;
            }
            let line = String::from_utf8_lossy(&self.buffer[start..at]).into_owned();
            at += 1;
            if b == b'\r' {
                match self.buffer.get(at) {
                    Some(b'\n') => at += 1,
                    // `\r` ending the chunk: a `\n` may follow in the next one.
                    None => self.after_cr = true,
                    Some(_) => {}
                }
            }
            out.extend(self.line(&line));
            start = at;
        }
        self.buffer.drain(..start);
        out
    }

    fn line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None; // a comment (a keep-alive)
        }
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match name {
            "event" => self.event = value.to_owned(),
            "data" => self.data.push(value.to_owned()),
            "id" if !value.contains('\0') => self.id = value.to_owned(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retry_ms = value.parse().ok();
            }
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        self.last_event_id.clone_from(&self.id);
        let data = std::mem::take(&mut self.data);
        let event = std::mem::take(&mut self.event);
        if data.is_empty() {
            return None; // `id:` alone moves last_event_id only
        }
        Some(SseEvent {
            event: if event.is_empty() {
                "message".into()
            } else {
                event
            },
            data: data.join("\n"),
            id: self.last_event_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{SseEvent, SseParser};

    fn ev(event: &str, data: &str, id: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
            id: id.into(),
        }
    }

    #[test]
    fn frames_split_anywhere_with_any_line_end_parse_to_the_same_events() {
        let text = "retry: 1000\nid: 7.0\n\n: keep-alive\nid: 7.1\nevent: create\ndata: {\"a\":\"é\"}\n\nevent: end\ndata: x\ndata: y\n\n";
        let want = vec![
            ev("create", "{\"a\":\"é\"}", "7.1"),
            ev("end", "x\ny", "7.1"),
        ];
        for eol in ["\n", "\r\n", "\r"] {
            let t = text.replace('\n', eol);
            let bytes = t.as_bytes();
            for cut in 0..=bytes.len() {
                let mut p = SseParser::default();
                let mut got = p.push(&bytes[..cut]);
                got.extend(p.push(&bytes[cut..]));
                assert_eq!(got, want, "cut at {cut} with {eol:?}");
                assert_eq!(p.retry_ms, Some(1000));
            }
            let mut p = SseParser::default();
            let got: Vec<SseEvent> = bytes.iter().flat_map(|b| p.push(&[*b])).collect();
            assert_eq!(got, want, "one byte at a time");
        }
    }

    #[test]
    fn a_bare_id_frame_moves_last_event_id_and_comments_are_ignored() {
        let mut p = SseParser::default();
        assert!(
            p.push("\u{feff}id: 3.9\n\n:comment\nfoo: bar\nretry: soon\n".as_bytes())
                .is_empty()
        );
        assert_eq!((p.last_event_id.as_str(), p.retry_ms), ("3.9", None));
        assert_eq!(p.push(b"data\n\n"), vec![ev("message", "", "3.9")]);
        assert_eq!(
            p.push(b"id\ndata:no space\n\n"),
            vec![ev("message", "no space", "")]
        );
        assert_eq!(
            p.push(b"id: a\0b\ndata: kept\n\n"),
            vec![ev("message", "kept", "")]
        );
    }
}
