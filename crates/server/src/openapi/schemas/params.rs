//! Query and header parameters that the handlers read from the raw request, so that
//! they have no extractor type to derive from.

/// The query of every list.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documentation only: paging::parse_query reads the query"
)]
pub struct ListParams {
    /// Entries per page, 1 to 1000 (default 50). Any other query parameter, or one given
    /// twice, is a 400.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page of this same list; anything else is a 400.
    cursor: Option<String>,
}

/// The query of an item list (docs/contract.md §8).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documents parameters; the handler reads the raw query"
)]
pub struct ItemListParams {
    /// Matches per page, 1 to 1000 (default 50). A page may be shorter (even empty) when
    /// the scan budget ran out; `next_cursor` then says where to go on. Any other query
    /// parameter, or one given twice, is a 400.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page of this same list, with the same filter and
    /// sort; anything else is a 400.
    cursor: Option<String>,
    /// Only items that match, e.g. `status = "open" && priority >= 2`
    /// (docs/contract.md §8: at most 4096 bytes, 32 comparisons, 16 levels). A filter
    /// that breaks the grammar or a bound is a 400 whose `details.position` is the byte
    /// where it went wrong.
    #[param(min_length = 1, max_length = 4096)]
    filter: Option<String>,
    /// Up to 3 comma-separated paths, each optionally prefixed by `-` (descending); each a
    /// server-owned member or one of the collection's `indexes`. `id` ascending breaks
    /// ties. Default: `id`.
    sort: Option<String>,
    /// Comma-separated top-level member names (none empty, none twice, at most 64): each
    /// item then holds only those (that it has), plus `id`.
    #[param(pattern = r"^[^,]+(,[^,]+){0,63}$")]
    fields: Option<String>,
}

/// The query of the change feed (docs/contract.md §9).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documents parameters; the handler reads the raw query"
)]
pub struct ChangesParams {
    /// Where to start: a `cursor` or `next_cursor` this feed gave, or `oldest` (the
    /// oldest event kept). Absent: the feed's current end (only what happens next). A
    /// stream's `Last-Event-ID` header wins over it. Malformed or ahead of the feed: 400;
    /// pruned or of another feed: 410.
    since: Option<String>,
    /// Only events of these collections: 1 to 100 comma-separated names.
    #[param(pattern = r"^[a-z0-9][a-z0-9_-]{0,62}(,[a-z0-9][a-z0-9_-]{0,62}){0,99}$")]
    collections: Option<String>,
    /// Only item events whose item matches (docs/contract.md §8; a delete is matched by
    /// the item as it was); collection events are then left out.
    #[param(min_length = 1, max_length = 4096)]
    filter: Option<String>,
    /// `item`: creates and updates carry the item as a GET shows it.
    #[param(pattern = "^item$")]
    include: Option<String>,
    /// Events per page, 1 to 1000 (default 100); a page may be shorter, even empty, when
    /// the events examined ran out of budget (10,000 events, about 4 MiB). Ignored by
    /// streams.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// A single-use ticket (`POST .../changes/tickets`) instead of an `Authorization`
    /// header; streams only.
    #[param(pattern = r"^dpt_[0-9]{1,12}_[A-Za-z0-9_-]{43}$")]
    ticket: Option<String>,
}

/// The query of a single item's GET.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documents parameters; the handler reads the raw query"
)]
pub struct ItemParams {
    /// Comma-separated top-level member names (none empty, none twice, at most 64): the
    /// item then holds only those (that it has), plus `id`, and its `ETag` is weak. Any
    /// other query parameter is a 400.
    #[param(pattern = r"^[^,]+(,[^,]+){0,63}$")]
    fields: Option<String>,
}

/// The `Idempotency-Key` of a create (docs/contract.md §5.1).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(
    dead_code,
    reason = "documents the header; request::idempotency reads it"
)]
pub struct IdempotencyKey {
    /// Makes a retry safe: the same key and request get the first answer again; another
    /// request with it is a 422, one while the first runs a 409. 1 to 255 visible ASCII
    /// characters (spaces and tabs inside count; around the key, HTTP drops them);
    /// anything else is a 400.
    #[param(
        rename = "Idempotency-Key",
        nullable = false,
        pattern = r"^[\t ]*[!-~]([\t -~]{0,253}[!-~])?[\t ]*$"
    )]
    key: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::IntoParams;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::Schema;

    fn pattern_of<P: IntoParams>(name: &str) -> Option<String> {
        let param = P::into_params(|| None)
            .into_iter()
            .find(|p| p.name == name)?;
        match param.schema? {
            RefOr::T(Schema::Object(object)) => object.pattern,
            _ => None,
        }
    }

    #[test]
    fn the_fields_pattern_allows_as_many_members_as_the_server() {
        let wanted = format!(
            "^[^,]+(,[^,]+){{0,{}}}$",
            crate::request::item_query::MAX_FIELDS - 1
        );
        assert_eq!(pattern_of::<ItemParams>("fields"), Some(wanted.clone()));
        assert_eq!(pattern_of::<ItemListParams>("fields"), Some(wanted));
    }
}
