//! depot-client's tests: the retry engine on a scripted closure with paused time
//! (`engine`), the client over real HTTP against scripted servers (`http`, `routes`,
//! `transport`), and the shared retry scenarios of `clients/scenarios/retry.json`
//! (`scenarios`). One test binary, sharing the scripted servers in [`common`].

mod common;

mod changes;
mod engine;
mod http;
mod routes;
mod scenarios;
mod transport;
