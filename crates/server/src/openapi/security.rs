//! How the document describes authentication: one OAuth 2.0 scheme whose client
//! credentials flow gets its tokens from `/oauth/token`, and on each `/v1` operation the
//! scopes it needs (docs/contract.md §1.1 and §1.3).
//!
//! Why `oauth2` and not an `http` bearer scheme: it says where a token comes from and
//! which scopes exist, which a bearer scheme can't, so Swagger UI, Redoc and generators
//! that run the flow can get a token by themselves; and every tool that only attaches a
//! token (openapi-python-client's `AuthenticatedClient`, openapi-generator, schemathesis)
//! sends an `oauth2` token as `Authorization: Bearer`, exactly what depot reads. A second,
//! `http` bearer scheme for the same token would make generators ask for it twice.
//!
//! The OAuth endpoints themselves have no security requirement (`security: []`): the
//! client authenticates to them with its credentials, as RFC 6749 §2.3.1 says, in HTTP
//! Basic (`client_secret_basic`) or in the form (`client_secret_post`), which the flow
//! implies and the forms' schemas show. Declaring Basic as a security scheme there would
//! make generators that read any requirement as "needs a token" (openapi-python-client)
//! ask for a bearer token in order to get one.

use utoipa::openapi::security::{
    ClientCredentials, Flow, OAuth2, Scopes, SecurityRequirement, SecurityScheme,
};

/// The name of the security scheme.
pub const OAUTH2: &str = "oauth2";

const ADMIN: &str = "admin";
const READ: &str = "project:{project}:read";
const WRITE: &str = "project:{project}:write";

/// The OAuth 2.0 client credentials scheme, with every scope there is.
pub fn scheme() -> SecurityScheme {
    let scopes = Scopes::from_iter([
        (
            ADMIN,
            "Everything: projects, clients, the maintenance switch, every project.",
        ),
        (
            READ,
            "Reading one project's metadata, collections and items; `{project}` is its name.",
        ),
        (
            WRITE,
            "Reading and writing one project's metadata, collections and items (implies read).",
        ),
    ]);
    SecurityScheme::OAuth2(OAuth2::with_description(
        [Flow::ClientCredentials(ClientCredentials::new(
            "/oauth/token",
            scopes,
        ))],
        "Bearer tokens from `POST /oauth/token` (RFC 6749 §4.4), sent as \
         `Authorization: Bearer <token>` (the scheme is matched case-insensitively; \
         `Authorization: OAuth <token>` is accepted too). The client authenticates to the \
         token endpoint with HTTP Basic or with `client_id` and `client_secret` in the form \
         (RFC 8414 metadata: `/.well-known/oauth-authorization-server`). `admin` satisfies \
         every scope and `write` implies `read`, so each operation lists every scope that \
         lets it through. A project the token has no scope for is answered 404, as if it \
         did not exist.",
    ))
}

/// What a `/v1` operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    AnyToken,
    Read,
    Write,
    Admin,
}

/// The contract's route table (§1.1), by path and method: under a project GET reads and
/// everything else writes, but deleting the project itself is `admin`'s; listing projects
/// takes any valid token (it lists what the token can see), creating one is `admin`'s;
/// everything outside projects (clients, the maintenance switch) is `admin`'s.
/// `method` is lowercase, as in the document.
fn needs(path: &str, method: &str) -> Needs {
    let get = method == "get";
    match path {
        "/v1/projects" if get => Needs::AnyToken,
        "/v1/projects" => Needs::Admin,
        "/v1/projects/{project}" if method == "delete" => Needs::Admin,
        // A ticket lends a read: issuing one writes nothing the project holds.
        "/v1/projects/{project}/changes/tickets" => Needs::Read,
        _ if path.starts_with("/v1/projects/{project}") && get => Needs::Read,
        _ if path.starts_with("/v1/projects/{project}") => Needs::Write,
        _ => Needs::Admin,
    }
}

/// The security requirements of the operation `method path`: for `/v1`, the token and
/// each scope that would let it through (any one will do); elsewhere none.
pub fn requirements(path: &str, method: &str) -> Vec<SecurityRequirement> {
    if !path.starts_with("/v1/") {
        return Vec::new();
    }
    let scopes: &[&str] = match needs(path, method) {
        Needs::AnyToken => return vec![SecurityRequirement::new(OAUTH2, Vec::<String>::new())],
        Needs::Read => &[READ, WRITE, ADMIN],
        Needs::Write => &[WRITE, ADMIN],
        Needs::Admin => &[ADMIN],
    };
    scopes
        .iter()
        .map(|scope| SecurityRequirement::new(OAUTH2, [*scope]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_the_contracts_route_table() {
        let cases = [
            ("/v1/projects", "get", Needs::AnyToken),
            ("/v1/projects", "post", Needs::Admin),
            ("/v1/projects/{project}", "get", Needs::Read),
            ("/v1/projects/{project}", "put", Needs::Write),
            ("/v1/projects/{project}", "delete", Needs::Admin),
            (
                "/v1/projects/{project}/collections/{collection}",
                "delete",
                Needs::Write,
            ),
            (
                "/v1/projects/{project}/collections/{collection}/items",
                "get",
                Needs::Read,
            ),
            (
                "/v1/projects/{project}/collections/{collection}/items/{id}",
                "patch",
                Needs::Write,
            ),
            ("/v1/projects/{project}/changes", "get", Needs::Read),
            (
                "/v1/projects/{project}/changes/tickets",
                "post",
                Needs::Read,
            ),
            ("/v1/clients/{client_id}", "get", Needs::Admin),
            ("/v1/admin/maintenance", "get", Needs::Admin),
        ];
        for (path, method, wanted) in cases {
            assert_eq!(needs(path, method), wanted, "{method} {path}");
        }
    }

    #[test]
    fn routes_outside_v1_need_nothing() {
        assert!(requirements("/oauth/token", "post").is_empty());
        assert!(requirements("/healthz", "get").is_empty());
    }
}
