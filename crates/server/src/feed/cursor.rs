//! Feed cursors: `"<epoch>.<seq>"`, both decimal. Clients treat them as opaque; the
//! epoch names the project's feed (a re-created project has another), the seq is an
//! event's place in it.

use depot_store::changes::FeedHead;
use std::fmt;

/// A position in a project's feed: after the event `seq` (0: before the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub epoch: i64,
    pub seq: i64,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.epoch, self.seq)
    }
}

impl Cursor {
    /// The cursor `text` spells, if it is one: two runs of decimal digits that fit an
    /// `i64`, joined by a dot (no sign, no spaces).
    pub fn parse(text: &str) -> Option<Cursor> {
        let (epoch, seq) = text.split_once('.')?;
        let number = |part: &str| {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse::<i64>().ok()
        };
        Some(Cursor {
            epoch: number(epoch)?,
            seq: number(seq)?,
        })
    }
}

/// Where a reader asks to start (`since`, or `Last-Event-ID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// The feed's current end: only what happens next.
    End,
    /// The oldest event still kept.
    Oldest,
    At(Cursor),
}

impl Since {
    /// `since` as sent: absent is the end, `oldest` the oldest, else a cursor (`None`
    /// when it is none of these).
    pub fn parse(text: Option<&str>) -> Option<Since> {
        match text {
            None => Some(Since::End),
            Some("oldest") => Some(Since::Oldest),
            Some(text) => Cursor::parse(text).map(Since::At),
        }
    }
}

/// Why a start position can't be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Another feed's cursor, or one below the floor: its events are gone (410).
    Gone,
    /// Above the head: this feed never issued it (400).
    NotIssued,
}

/// The position to read after, for `since` on a feed that stands at `head`.
pub fn start(head: FeedHead, since: Since) -> Result<Cursor, Refused> {
    let at = |seq| Cursor {
        epoch: head.epoch,
        seq,
    };
    match since {
        Since::End => Ok(at(head.head)),
        Since::Oldest => Ok(at(head.floor)),
        Since::At(c) if c.epoch != head.epoch || c.seq < head.floor => Err(Refused::Gone),
        Since::At(c) if c.seq > head.head => Err(Refused::NotIssued),
        Since::At(c) => Ok(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let c = Cursor { epoch: 7, seq: 42 };
        assert_eq!(c.to_string(), "7.42");
        assert_eq!(Cursor::parse("7.42"), Some(c));
        for bad in [
            "",
            "7",
            "7.",
            ".4",
            "7.4.2",
            "-7.4",
            "7.+4",
            "a.b",
            " 7.4",
            "99999999999999999999.1",
        ] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
        assert_eq!(Since::parse(None), Some(Since::End));
        assert_eq!(Since::parse(Some("oldest")), Some(Since::Oldest));
        assert_eq!(Since::parse(Some("x")), None);
    }

    #[test]
    fn a_start_is_checked_against_the_feed() {
        let head = FeedHead {
            epoch: 3,
            floor: 10,
            head: 20,
        };
        let at = |epoch, seq| Since::At(Cursor { epoch, seq });
        assert_eq!(start(head, Since::End), Ok(Cursor { epoch: 3, seq: 20 }));
        assert_eq!(start(head, Since::Oldest), Ok(Cursor { epoch: 3, seq: 10 }));
        assert_eq!(start(head, at(3, 10)), Ok(Cursor { epoch: 3, seq: 10 }));
        assert_eq!(start(head, at(3, 9)), Err(Refused::Gone));
        assert_eq!(start(head, at(4, 15)), Err(Refused::Gone));
        assert_eq!(start(head, at(3, 21)), Err(Refused::NotIssued));
    }
}
