//! The ceiling of bench/run.sh: a bare axum server that answers fixed bodies, with no
//! authentication, parsing, storage or logging. Whatever a real server does on top of
//! this is what its ratio to the ceiling measures.
//!
//! - `GET /item` and `GET /items/{id}`: one fixed item (~150 bytes of JSON)
//! - `POST /items`: reads the body, answers 201 with `Location` and the fixed item
//! - `GET /items`: a fixed page of 20 items, `{"data": [...], "next_cursor": "..."}`
//!
//! Usage: `ceiling [--addr 127.0.0.1:8090]`; prints `ceiling listening on http://ADDR`.

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use clap::Parser;
use std::net::SocketAddr;

#[derive(Parser, Debug)]
#[command(about = "Bare axum server with fixed bodies (benchmark ceiling)")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    addr: SocketAddr,
}

fn item(n: usize) -> serde_json::Value {
    serde_json::json!({
        "id": format!("019ac0de-7e57-7000-8000-{n:012}"),
        "created_at": "2025-01-01T00:00:00.000Z",
        "updated_at": "2025-01-01T00:00:00.000Z",
        "version": 1,
        "title": format!("note {n:04}: lorem ipsum"),
        "n": n,
    })
}

#[derive(Clone)]
struct Bodies {
    item: Bytes,
    page: Bytes,
}

fn json(status: StatusCode, body: Bytes) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let page: Vec<_> = (1..=20).map(item).collect();
    let bodies = Bodies {
        item: Bytes::from(serde_json::to_vec(&item(1))?),
        page: Bytes::from(serde_json::to_vec(&serde_json::json!({
            "data": page,
            "next_cursor": "MDE5YWMwZGUtN2U1Ny03MDAwLTgwMDAtMDAwMDAwMDAwMDIw",
        }))?),
    };
    let one = {
        let b = bodies.clone();
        move || async move { json(StatusCode::OK, b.item) }
    };
    let page = {
        let b = bodies.clone();
        move || async move { json(StatusCode::OK, b.page) }
    };
    let create = {
        let b = bodies.clone();
        // Taking `Bytes` makes axum read the whole request body, as a real server must.
        move |_body: Bytes| async move {
            let mut response = json(StatusCode::CREATED, b.item);
            response.headers_mut().insert(
                header::LOCATION,
                HeaderValue::from_static(
                    "/v1/projects/bench/collections/notes/items/019ac0de-7e57-7000-8000-000000000001",
                ),
            );
            response
        }
    };
    let app = Router::new()
        .route("/item", get(one.clone()))
        .route("/items/{id}", get(one))
        .route("/items", get(page).post(create));
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    println!("ceiling listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
