//! Which events a reader wants, and an event as the API shows it.

use super::cursor::Cursor;
use depot_store::changes::Change;
use depot_store::query::{Expr, eval};
use serde_json::{Map, Value};

/// The most collections `collections=` may name.
pub const MAX_COLLECTIONS: usize = 100;

/// A reader's choice of events (`collections`, `filter`, `include=item`).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only events of these collections; `None`: every collection.
    pub collections: Option<Vec<String>>,
    /// Only item events whose item matches (collection events are then dropped).
    pub filter: Option<Expr>,
    /// Creates and updates carry their item.
    pub include_item: bool,
}

impl Selection {
    /// Whether every event is wanted (no reason to read ahead of a page's limit).
    pub fn takes_all(&self) -> bool {
        self.collections.is_none() && self.filter.is_none()
    }

    /// Whether the reader wants `change`. A filter sees the item as a GET would show
    /// it; for a delete, the item as it was just before.
    pub fn wants(&self, change: &Change) -> bool {
        if let Some(names) = &self.collections
            && !names.contains(&change.collection)
        {
            return false;
        }
        let Some(expr) = &self.filter else {
            return true;
        };
        match &change.item {
            Some(item) if change.op.is_item() => {
                serde_json::from_str::<Value>(&item.to_json()).is_ok_and(|value| eval(expr, &value))
            }
            _ => false,
        }
    }

    /// The event's JSON: `cursor`, `op`, `collection`, `at`, and for item events `id`
    /// and `version` (and `item` for creates and updates when asked for).
    pub fn event_json(&self, epoch: i64, change: &Change) -> String {
        let cursor = Cursor {
            epoch,
            seq: change.seq,
        };
        let mut fields = Map::new();
        fields.insert("cursor".into(), cursor.to_string().into());
        fields.insert("op".into(), change.op.as_str().into());
        fields.insert("collection".into(), change.collection.clone().into());
        let item = change.item.as_ref().filter(|_| change.op.is_item());
        if let Some(item) = item {
            fields.insert("id".into(), item.id.clone().into());
            fields.insert("version".into(), item.version.into());
        }
        fields.insert("at".into(), change.at.clone().into());
        let mut json = Value::Object(fields).to_string();
        let carried = item
            .filter(|_| self.include_item && change.op != depot_store::changes::ChangeOp::Delete);
        if let Some(item) = carried {
            // The item as stored, spliced in without parsing it again.
            json.pop();
            json.push_str(",\"item\":");
            item.write_json(&mut json);
            json.push('}');
        }
        json
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use depot_store::Item;
    use depot_store::changes::ChangeOp;

    fn change(op: ChangeOp, data: &str) -> Change {
        Change {
            seq: 5,
            collection: "notes".into(),
            op,
            at: "2026-01-01T00:00:00.000Z".into(),
            item: op.is_item().then(|| Item {
                id: "01890a5d-ac96-774b-bcce-b302099a8057".into(),
                created_at: "2026-01-01T00:00:00.000Z".into(),
                updated_at: "2026-01-01T00:00:00.000Z".into(),
                version: 2,
                data: data.into(),
            }),
        }
    }

    #[test]
    fn events_show_what_their_op_has() {
        let all = Selection {
            include_item: true,
            ..Selection::default()
        };
        let v: Value =
            serde_json::from_str(&all.event_json(3, &change(ChangeOp::Update, r#"{"a":1}"#)))
                .unwrap();
        assert_eq!(v["cursor"], "3.5");
        assert_eq!(v["op"], "update");
        assert_eq!(v["version"], 2);
        assert_eq!(v["item"]["a"], 1);
        assert_eq!(v["item"]["version"], 2);
        let v: Value =
            serde_json::from_str(&all.event_json(3, &change(ChangeOp::Delete, r#"{"a":1}"#)))
                .unwrap();
        assert!(v.get("item").is_none() && v["id"].is_string());
        let v: Value =
            serde_json::from_str(&all.event_json(3, &change(ChangeOp::CollectionCreate, "")))
                .unwrap();
        let mut keys: Vec<_> = v.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["at", "collection", "cursor", "op"]);
    }

    #[test]
    fn a_filter_keeps_matching_item_events_only() {
        let open = Selection {
            filter: Some(depot_store::query::parse(r#"status = "open""#).unwrap()),
            ..Selection::default()
        };
        assert!(open.wants(&change(ChangeOp::Delete, r#"{"status":"open"}"#)));
        assert!(!open.wants(&change(ChangeOp::Create, r#"{"status":"done"}"#)));
        assert!(!open.wants(&change(ChangeOp::CollectionCreate, "")));
        let others = Selection {
            collections: Some(vec!["other".into()]),
            ..Selection::default()
        };
        assert!(!others.wants(&change(ChangeOp::Create, "{}")));
    }
}
