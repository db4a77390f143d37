//! OpenAPI links from each create (201) to the operations on what it created, so that
//! a stateful tester can chain create → read → update → delete.

use utoipa::openapi::RefOr;
use utoipa::openapi::link::{Link, LinkBuilder};
use utoipa::openapi::path::Operation;

/// `(operation that creates, [(link name, target operation)], [(parameter, expression)])`.
type Chain = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [(&'static str, &'static str)],
);

const CHAINS: [Chain; 4] = [
    (
        "createProject",
        &[
            ("GetProject", "getProject"),
            ("UpdateProject", "updateProject"),
            ("DeleteProject", "deleteProject"),
            ("ListCollections", "listCollections"),
            ("CreateCollection", "createCollection"),
        ],
        &[("project", "$response.body#/name")],
    ),
    (
        "createCollection",
        &[
            ("GetCollection", "getCollection"),
            ("UpdateCollection", "updateCollection"),
            ("DeleteCollection", "deleteCollection"),
            ("ListItems", "listItems"),
            ("CountItems", "countItems"),
            ("CreateItem", "createItem"),
        ],
        &[
            ("project", "$response.body#/project"),
            ("collection", "$response.body#/name"),
        ],
    ),
    (
        "createItem",
        &[
            ("GetItem", "getItem"),
            ("ReplaceItem", "replaceItem"),
            ("PatchItem", "patchItem"),
            ("DeleteItem", "deleteItem"),
        ],
        &[
            ("project", "$request.path.project"),
            ("collection", "$request.path.collection"),
            ("id", "$response.body#/id"),
        ],
    ),
    (
        "createClient",
        &[("GetClient", "getClient"), ("DeleteClient", "deleteClient")],
        &[("client_id", "$response.body#/client_id")],
    ),
];

/// Adds the links of `op` (if it creates something) to its 201 answer.
pub fn attach(op: &mut Operation) {
    let Some((_, targets, parameters)) = CHAINS
        .iter()
        .find(|(creator, _, _)| op.operation_id.as_deref() == Some(*creator))
    else {
        return;
    };
    let Some(RefOr::T(created)) = op.responses.responses.get_mut("201") else {
        return;
    };
    for (name, target) in *targets {
        created
            .links
            .insert((*name).to_owned(), RefOr::T(link(target, parameters)));
    }
}

fn link(target: &str, parameters: &[(&str, &str)]) -> Link {
    parameters
        .iter()
        .fold(
            LinkBuilder::new().operation_id(target),
            |b, (name, expr)| b.parameter(*name, *expr),
        )
        .build()
}
