//! The `depot` binary end to end: each test starts `depot serve` (and other commands)
//! as a process on 127.0.0.1 and drives it over real HTTP, killing and restarting it
//! where the test is about crashes, floods, hostile clients or shutdown. One test
//! binary with a module per area, sharing the process harness in [`common`].

mod common;

mod backups;
mod bootstrap;
mod changes;
mod client_e2e;
mod crash;
mod crash_mixed;
mod disk_full;
mod feed_clients;
mod flood;
mod hardening;
mod hostile;
mod migrate;
mod scale_out;
mod shutdown;
mod tls;
mod transfer;
