//! Answers without a depot-api type: items (free-form objects), one page schema per
//! list, the body of a successful DELETE, the probes, a count, RFC 6749 errors and RFC
//! 8414 metadata.

use super::{free_form, named_schema, object, string_or_null, timestamp, typed, uuid};
use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// The members every stored item carries, as the server shows them; only `id` is in
/// every answer (`fields` may leave the others out).
fn item_members(builder: ObjectBuilder) -> ObjectBuilder {
    builder
        .property(
            "id",
            uuid().description(Some("UUIDv7, so ids sort by creation time.")),
        )
        .property("created_at", timestamp("RFC 3339, UTC, milliseconds."))
        .property("updated_at", timestamp("RFC 3339, UTC, milliseconds."))
        .property(
            "version",
            typed(Type::Integer).minimum(Some(1)).description(Some(
                "1, then +1 per write; the ETag is this number quoted.",
            )),
        )
        .required("id")
}

named_schema!(Item, || {
    item_members(free_form(
        "A stored item: the members the client wrote plus the four server-owned ones.",
    ))
    .required("created_at")
    .required("updated_at")
    .required("version")
    .into()
});

named_schema!(PartialItem, || {
    item_members(free_form(
        "An item as `fields` leaves it (docs/contract.md §8): `id`, and of the members \
         named, those it has.",
    ))
    .into()
});

/// What a read that may take `fields` answers: a whole item, or a partial one. (`anyOf`,
/// not `oneOf`: `fields` may name every member, and the answer is then both.)
fn whole_or_partial(whole: &str, partial: &str) -> Schema {
    AnyOfBuilder::new()
        .item(Ref::from_schema_name(whole))
        .item(Ref::from_schema_name(partial))
        .into()
}

/// The answer of an item's GET, inlined where it is used.
pub struct ItemOrPartial;

/// Only ever inlined (`body = inline(...)`), which utoipa still asks a name of.
impl ToSchema for ItemOrPartial {}

impl PartialSchema for ItemOrPartial {
    fn schema() -> RefOr<Schema> {
        RefOr::T(whole_or_partial("Item", "PartialItem"))
    }
}

/// The answer of an item list, inlined where it is used.
pub struct ItemPageOrPartial;

/// Only ever inlined (`body = inline(...)`), which utoipa still asks a name of.
impl ToSchema for ItemPageOrPartial {}

impl PartialSchema for ItemPageOrPartial {
    fn schema() -> RefOr<Schema> {
        RefOr::T(whole_or_partial("ItemPage", "PartialItemPage"))
    }
}

/// A list page whose `data` holds `resource`s (`$ref`'d, so generators reuse the
/// resource's type). `next_cursor` is always there, null on the last page.
fn page(description: &str, resource: &str) -> Schema {
    object()
        .description(Some(description))
        .property(
            "data",
            ArrayBuilder::new().items(RefOr::Ref(Ref::from_schema_name(resource))),
        )
        .property(
            "next_cursor",
            string_or_null("Pass as `cursor` for the next page; null on the last page."),
        )
        .required("data")
        .required("next_cursor")
        .into()
}

named_schema!(ProjectPage, || page(
    "A page of projects, by name.",
    "Project"
));

named_schema!(CollectionPage, || page(
    "A page of collections, by name.",
    "Collection"
));

named_schema!(OAuthClientPage, || page(
    "A page of OAuth clients, by id (never with secrets).",
    "OAuthClient"
));

named_schema!(ItemPage, || page(
    "A page of items, by id unless sorted.",
    "Item"
));

named_schema!(PartialItemPage, || page(
    "A page of items as `fields` leaves them.",
    "PartialItem"
));

named_schema!(BackupPage, || page(
    "Every complete backup in the data directory, oldest first; `next_cursor` is always null.",
    "Backup"
));

named_schema!(Deleted, || {
    object()
        .description(Some(
            "What a successful DELETE (and a revocation) answers: `code` is 200 and \
             `message` says what was done.",
        ))
        .property("code", typed(Type::Integer).enum_values(Some([200])))
        .property("message", typed(Type::String).min_length(Some(1)))
        .required("code")
        .required("message")
        .into()
});

fn status(value: &str, description: &str) -> Schema {
    object()
        .description(Some(description))
        .property("status", typed(Type::String).enum_values(Some([value])))
        .required("status")
        .into()
}

named_schema!(Healthy, || status(
    "ok",
    "The process is up and serving HTTP."
));

named_schema!(Ready, || status(
    "ready",
    "The store answers; the server can serve requests."
));

/// The answer of a count.
#[derive(utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documents the answer; the handler writes it with json!"
)]
pub struct ItemCount {
    /// How many items match (a lower bound when `exact` is false).
    count: u64,
    /// False when counting stopped at the count budget (`--max-count-scan` items
    /// examined).
    exact: bool,
}

named_schema!(OAuthError, || {
    object()
        .description(Some(
            "The envelope with RFC 6749's `error` and `error_description` next to it.",
        ))
        .property(
            "code",
            typed(Type::Integer).minimum(Some(400)).maximum(Some(599)),
        )
        .property("message", typed(Type::String).min_length(Some(1)))
        .property(
            "details",
            free_form("Machine-readable specifics, as in the envelope."),
        )
        .property(
            "error",
            typed(Type::String).enum_values(Some([
                "invalid_request",
                "invalid_client",
                "unsupported_grant_type",
                "invalid_scope",
            ])),
        )
        .property("error_description", typed(Type::String))
        .required("code")
        .required("message")
        .required("error")
        .required("error_description")
        .into()
});

fn strings(description: &str) -> ArrayBuilder {
    ArrayBuilder::new()
        .items(typed(Type::String))
        .description(Some(description))
}

named_schema!(AuthorizationServerMetadata, || {
    let url = |description: &str| typed(Type::String).description(Some(description));
    free_form(
        "RFC 8414 authorization server metadata; the issuer is this server as the request \
         reached it (its `Host`).",
    )
    .property("issuer", url("`http://` and the request's `Host`."))
    .property("token_endpoint", url("`/oauth/token` on the issuer."))
    .property("revocation_endpoint", url("`/oauth/revoke` on the issuer."))
    .property(
        "grant_types_supported",
        strings("`client_credentials` only."),
    )
    .property("response_types_supported", strings("None."))
    .property(
        "token_endpoint_auth_methods_supported",
        strings("`client_secret_basic` and `client_secret_post`."),
    )
    .property(
        "revocation_endpoint_auth_methods_supported",
        strings("As for the token endpoint."),
    )
    .property(
        "scopes_supported",
        strings("`admin`, `project:{name}:read`, `project:{name}:write`."),
    )
    .property("service_documentation", url("The docs page, `/docs`."))
    .required("issuer")
    .required("token_endpoint")
    .required("revocation_endpoint")
    .required("grant_types_supported")
    .required("response_types_supported")
    .required("token_endpoint_auth_methods_supported")
    .required("revocation_endpoint_auth_methods_supported")
    .required("scopes_supported")
    .required("service_documentation")
    .into()
});

named_schema!(ChangeEvent, || {
    object()
        .description(Some(
            "One change of a project (docs/contract.md §9). Item events (`create`, `update`, \
             `delete`) have `id` and `version`, and with `include=item` creates and updates \
             carry the `item`; collection events (`collection_create`, `collection_update`, \
             `collection_delete`) have neither. Deleting a collection is one \
             `collection_delete` event, not one per item.",
        ))
        .property(
            "cursor",
            typed(Type::String)
                .pattern(Some("^[0-9]+\\.[0-9]+$"))
                .description(Some(
                    "Where this event is: `since` (or `Last-Event-ID`) goes on after it. \
                     Opaque.",
                )),
        )
        .property(
            "op",
            typed(Type::String).enum_values(Some([
                "create",
                "update",
                "delete",
                "collection_create",
                "collection_update",
                "collection_delete",
            ])),
        )
        .property("collection", typed(Type::String))
        .property(
            "id",
            uuid().description(Some("The item's id (item events only).")),
        )
        .property(
            "version",
            typed(Type::Integer).minimum(Some(1)).description(Some(
                "The item's version after the change; for a delete, the version deleted.",
            )),
        )
        .property(
            "at",
            timestamp("When the change committed (RFC 3339, UTC)."),
        )
        .property("item", RefOr::Ref(Ref::from_schema_name("Item")))
        .required("cursor")
        .required("op")
        .required("collection")
        .required("at")
        .into()
});

named_schema!(ChangePage, || {
    object()
        .description(Some(
            "Events of the change feed, in order. The page may be short, even empty: a read \
             examines at most 10,000 events and about 4 MiB of items.",
        ))
        .property(
            "data",
            ArrayBuilder::new().items(RefOr::Ref(Ref::from_schema_name("ChangeEvent"))),
        )
        .property(
            "next_cursor",
            typed(Type::String).description(Some(
                "Never null: pass it as `since` to go on (it moves past events a filter \
                 left out).",
            )),
        )
        .required("data")
        .required("next_cursor")
        .into()
});

named_schema!(Ticket, || {
    object()
        .description(Some(
            "A single-use ticket that opens this project's change stream \
             (`?ticket=`, streams only).",
        ))
        .property(
            "ticket",
            typed(Type::String).pattern(Some("^dpt_[0-9]{1,12}_[A-Za-z0-9_-]{43}$")),
        )
        .property(
            "expires_in",
            typed(Type::Integer)
                .minimum(Some(1))
                .description(Some("Seconds left to use it.")),
        )
        .required("ticket")
        .required("expires_in")
        .into()
});
