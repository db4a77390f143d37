//! The change log (docs/contract.md §9; see `depot_store::changes`).
//!
//! Each write that changes a collection or an item appends its event here, inside the
//! write's own savepoint: a write that rolls back takes its event with it, and a batch
//! that commits makes its writes and their events durable together. Numbers follow
//! commit order with no gaps, because they are given on the one writer thread.
//!
//! Why numbers are kept in memory during a batch: raising `projects.change_seq` once
//! per write cost a create a statement (measured: the POST share of the benchmark's
//! ceiling fell from 28 % to 16 % with two statements per event). The writer's hooks
//! ([`BatchNumbers`]) keep each touched project's next number for the batch, restore it
//! when a job's savepoint is rolled back, and write each project's last number once,
//! just before COMMIT. Outside a batch (never, today) [`record`] falls back to raising
//! the row itself.
//!
//! Wake-ups: the projects a batch touched are sent after it ends ([`BatchNumbers`]'s
//! `after_end`). A batch that failed still sends its names: a spurious wake-up costs a
//! reader one empty look, a missing one would delay an event.

use crate::errors;
use crate::writer::Hooks;
use depot_store::changes::READ_BYTES;
use depot_store::{
    Change, ChangeBatch, ChangeOp, ChangeSignals, FeedHead, Item, StoreError, now_timestamp,
};
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::cell::RefCell;

/// One project's numbering in the current batch.
#[derive(Clone)]
struct Numbering {
    name: String,
    id: i64,
    /// The last number given (in the row until the batch writes it back).
    seq: i64,
}

/// The writer thread's numbering state for its current batch.
#[derive(Default)]
struct Batch {
    open: bool,
    projects: Vec<Numbering>,
    /// `projects` as it was when the current job started; taken on the job's first
    /// change, so that a job that records nothing copies nothing.
    saved: Option<Vec<Numbering>>,
    /// Projects whose feed may have grown, for the wake-ups.
    touched: Vec<String>,
}

impl Batch {
    fn save(&mut self) {
        if self.saved.is_none() {
            self.saved = Some(self.projects.clone());
        }
    }

    fn touch(&mut self, project: &str) {
        if !self.touched.iter().any(|p| p == project) {
            self.touched.push(project.to_owned());
        }
    }
}

thread_local! {
    /// Only the writer thread's copy is ever used (every write runs there).
    static BATCH: RefCell<Batch> = RefCell::new(Batch::default());
}

/// The writer's hooks for the change log (see the module docs), and the after-commit
/// work of the rest of the store.
pub(crate) struct BatchNumbers {
    pub(crate) signals: ChangeSignals,
    /// Runs after every transaction ends, before anyone is answered.
    pub(crate) after_end: Box<dyn Fn() + Send>,
}

impl Hooks for BatchNumbers {
    fn begin(&self) {
        BATCH.with(|b| {
            let mut b = b.borrow_mut();
            b.open = true;
            b.projects.clear();
            b.saved = None;
        });
    }

    fn job_start(&self) {
        BATCH.with(|b| b.borrow_mut().saved = None);
    }

    fn job_undone(&self) {
        BATCH.with(|b| {
            let mut b = b.borrow_mut();
            if let Some(saved) = b.saved.take() {
                b.projects = saved;
            }
        });
    }

    fn before_commit(&self, conn: &Connection) -> Result<(), StoreError> {
        let projects = BATCH.with(|b| std::mem::take(&mut b.borrow_mut().projects));
        for p in &projects {
            conn.prepare_cached("UPDATE projects SET change_seq = ?2 WHERE id = ?1")
                .and_then(|mut stmt| stmt.execute(params![p.id, p.seq]))
                .map_err(errors::map)?;
        }
        Ok(())
    }

    fn after_end(&self) {
        (self.after_end)();
        let touched = BATCH.with(|b| {
            let mut b = b.borrow_mut();
            b.open = false;
            b.projects.clear();
            b.saved = None;
            std::mem::take(&mut b.touched)
        });
        for project in touched {
            self.signals.notify(&project);
        }
    }
}

/// The next number for `project`'s feed, and its row id.
fn next_seq(conn: &Connection, project: &str) -> Result<(i64, i64), StoreError> {
    let open = BATCH.with(|b| {
        let mut b = b.borrow_mut();
        b.touch(project);
        b.open
    });
    if !open {
        return conn
            .prepare_cached(
                "UPDATE projects SET change_seq = change_seq + 1 WHERE name = ?1
                 RETURNING id, change_seq",
            )
            .and_then(|mut stmt| stmt.query_row([project], |r| Ok((r.get(0)?, r.get(1)?))))
            .map_err(errors::map);
    }
    let counted = BATCH.with(|b| {
        let mut b = b.borrow_mut();
        b.save();
        let p = b.projects.iter_mut().find(|p| p.name == project)?;
        p.seq += 1;
        Some((p.id, p.seq))
    });
    if let Some(counted) = counted {
        return Ok(counted);
    }
    // First event of this project in the batch: its row says where numbering stands.
    let (id, seq): (i64, i64) = conn
        .prepare_cached("SELECT id, change_seq FROM projects WHERE name = ?1")
        .and_then(|mut stmt| {
            stmt.query_row([project], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(errors::map)?
        .ok_or(StoreError::NotFound)?;
    BATCH.with(|b| {
        b.borrow_mut().projects.push(Numbering {
            name: project.to_owned(),
            id,
            seq: seq + 1,
        });
    });
    Ok((id, seq + 1))
}

/// Forgets `project`'s numbering in the current batch: called when the project's row
/// goes, so that a project made again under the same name in the same batch starts
/// from its own row. (Undone with the job, like any other change to the numbering.)
pub(crate) fn forget(project: &str) {
    BATCH.with(|b| {
        let mut b = b.borrow_mut();
        if b.open {
            b.save();
            b.projects.retain(|p| p.name != project);
        }
    });
}

/// Appends one event to `project`'s feed. `item` is the item as written (create,
/// update) or as it was (delete); `None` for collection events.
pub(crate) fn record(
    conn: &Connection,
    project: &str,
    collection: &str,
    op: ChangeOp,
    item: Option<&Item>,
) -> Result<(), StoreError> {
    let (project_id, seq) = next_seq(conn, project)?;
    conn.prepare_cached(
        "INSERT INTO changes (project_id, seq, collection, op, at,
                              item_id, created_at, updated_at, version, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            project_id,
            seq,
            collection,
            op.as_str(),
            now_timestamp(),
            item.map(|i| &i.id),
            item.map(|i| &i.created_at),
            item.map(|i| &i.updated_at),
            item.map(|i| i.version),
            item.map(|i| &i.data),
        ])
    })
    .map_err(errors::map)?;
    Ok(())
}

/// Where `project`'s feed stands; `NotFound` if the project is missing.
pub(crate) fn head(conn: &Connection, project: &str) -> Result<FeedHead, StoreError> {
    conn.prepare_cached("SELECT id, change_floor, change_seq FROM projects WHERE name = ?1")
        .and_then(|mut stmt| {
            stmt.query_row([project], |r| {
                Ok(FeedHead {
                    epoch: r.get(0)?,
                    floor: r.get(1)?,
                    head: r.get(2)?,
                })
            })
        })
        .map_err(errors::map)
}

/// The events after `after`, on one snapshot with the head (the caller's reader runs
/// this in one transaction). Rows are read one at a time and the read stops once
/// [`READ_BYTES`] of item data are in hand.
pub(crate) fn read(
    conn: &Connection,
    project: &str,
    after: i64,
    limit: usize,
) -> Result<ChangeBatch, StoreError> {
    let head = head(conn, project)?;
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, collection, op, at, item_id, created_at, updated_at, version, data
             FROM changes
             WHERE project_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        .map_err(errors::map)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut rows = stmt
        .query(params![head.epoch, after, limit])
        .map_err(errors::map)?;
    let (mut changes, mut bytes) = (Vec::new(), 0);
    while bytes < READ_BYTES {
        let Some(row) = rows.next().map_err(errors::map)? else {
            break;
        };
        let change = from_row(row)?;
        bytes += change.item.as_ref().map_or(0, |i| i.data.len());
        changes.push(change);
    }
    Ok(ChangeBatch { head, changes })
}

fn from_row(row: &Row<'_>) -> Result<Change, StoreError> {
    let op: String = row.get(2).map_err(errors::map)?;
    let op = ChangeOp::parse(&op).ok_or_else(|| errors::corrupt("change op"))?;
    let at: String = row.get(3).map_err(errors::map)?;
    let item = if op.is_item() {
        Some(Item {
            id: row.get(4).map_err(errors::map)?,
            created_at: row.get(5).map_err(errors::map)?,
            updated_at: row.get(6).map_err(errors::map)?,
            version: row.get(7).map_err(errors::map)?,
            data: row.get(8).map_err(errors::map)?,
        })
    } else {
        None
    };
    Ok(Change {
        seq: row.get(0).map_err(errors::map)?,
        collection: row.get(1).map_err(errors::map)?,
        op,
        at,
        item,
    })
}

/// Deletes up to `max` of the oldest events from before `before`, raising each
/// project's floor to the highest `seq` deleted. Events are numbered in commit order on
/// the one writer, so each project's oldest are at the front of its key range: the
/// walk reads from the floor up and stops at the first event that is new enough, with
/// no index on time. (Should the clock step back, an event newer than one after it
/// stays until that one goes: late, never early.)
pub(crate) fn prune(conn: &Connection, before: &str, max: usize) -> Result<u64, StoreError> {
    let projects: Vec<(i64, i64)> = conn
        .prepare_cached("SELECT id, change_floor FROM projects WHERE change_seq > change_floor")
        .and_then(|mut stmt| {
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .map_err(errors::map)?;
    let mut left = max;
    let mut deleted = 0;
    for (project_id, floor) in projects {
        if left == 0 {
            break;
        }
        let limit = i64::try_from(left).unwrap_or(i64::MAX);
        let old: Vec<(i64, String)> = conn
            .prepare_cached(
                "SELECT seq, at FROM changes WHERE project_id = ?1 AND seq > ?2
                 ORDER BY seq LIMIT ?3",
            )
            .and_then(|mut stmt| {
                stmt.query_map(params![project_id, floor, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect()
            })
            .map_err(errors::map)?;
        let Some(upto) = old
            .iter()
            .take_while(|(_, at)| at.as_str() < before)
            .last()
            .map(|(seq, _)| *seq)
        else {
            continue;
        };
        conn.prepare_cached("UPDATE projects SET change_floor = ?2 WHERE id = ?1")
            .and_then(|mut stmt| stmt.execute(params![project_id, upto]))
            .map_err(errors::map)?;
        let gone = conn
            .prepare_cached("DELETE FROM changes WHERE project_id = ?1 AND seq <= ?2")
            .and_then(|mut stmt| stmt.execute(params![project_id, upto]))
            .map_err(errors::map)?;
        left = left.saturating_sub(gone);
        deleted += u64::try_from(gone).unwrap_or(0);
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::Writer;
    use crate::writer::tests::{TestJob, second_batch};
    use std::sync::Arc;

    fn writer() -> Arc<Writer> {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::migrations::run(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO projects (name, metadata, created_at, updated_at)
             VALUES ('p', '{}', 't', 't')",
            [],
        )
        .unwrap();
        let hooks = BatchNumbers {
            signals: ChangeSignals::default(),
            after_end: Box::new(|| {}),
        };
        Arc::new(Writer::start(conn, Box::new(hooks)).unwrap())
    }

    fn event(conn: &Connection) -> Result<(), StoreError> {
        record(conn, "p", "c", ChangeOp::CollectionCreate, None)
    }

    async fn numbers(w: &Writer) -> (Vec<i64>, i64) {
        w.run(|c| {
            let seqs = c
                .prepare("SELECT seq FROM changes ORDER BY seq")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let head = c
                .query_row(
                    "SELECT change_seq FROM projects WHERE name = 'p'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            Ok((seqs, head))
        })
        .await
        .unwrap()
    }

    /// A job rolled back in the middle of a batch gives its numbers back: the jobs after
    /// it go on from where the last kept event stands, with no gap, and the project's
    /// row is raised once, to the last number kept.
    #[tokio::test(flavor = "current_thread")]
    async fn a_rolled_back_job_leaves_no_gap_in_the_numbers() {
        let w = writer();
        let twice_then_fail = |c: &Connection| {
            event(c)?;
            event(c)?;
            Err(StoreError::Conflict)
        };
        let jobs: Vec<TestJob<()>> = vec![
            Box::new(event),
            Box::new(twice_then_fail),
            Box::new(event),
            Box::new(|c: &Connection| {
                event(c)?;
                event(c)
            }),
        ];
        let results = second_batch(&w, jobs).await;
        assert!(
            matches!(results[1], Err(StoreError::Conflict)),
            "{results:?}"
        );
        assert!(results.iter().enumerate().all(|(n, r)| n == 1 || r.is_ok()));
        assert_eq!(numbers(&w).await, (vec![1, 2, 3, 4], 4));

        // The next batch goes on from the row.
        w.run(event).await.unwrap();
        assert_eq!(numbers(&w).await, (vec![1, 2, 3, 4, 5], 5));
    }
}
