//! The state every handler shares.

use crate::auth::client_auth::ClientAuth;
use crate::auth::rate::RateLimits;
use crate::auth::tokens::TokenService;
use crate::config::Config;
use crate::feed::stream::Streams;
use crate::http::admission::Admission;
use crate::http::metrics::Metrics;
use crate::http::owner::Owners;
use crate::http::tls::Tls;
use crate::ops::backups::Backups;
use crate::request::in_flight::InFlightKeys;
use crate::request::maintenance::MaintenanceSwitch;
use crate::request::schema::{Schemas, instance_limits};
use depot_store::{RateLimit, Store};
use std::ops::Deref;
use std::sync::Arc;

/// A cheap handle on [`Shared`]: axum clones the state for every request and every
/// middleware, so it is one `Arc` (one atomic increment) rather than a struct of them
/// (profiled at about a fifth of a GET's CPU, most of it the caches' inner handles).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What handlers share, reached through [`AppState`]'s `Deref`.
pub struct Shared {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub tokens: TokenService,
    pub client_auth: ClientAuth,
    pub rates: RateLimits,
    pub schemas: Schemas,
    pub metrics: Arc<Metrics>,
    pub admission: Arc<Admission>,
    /// Whose token is whose, for fair shares (`http::owner`).
    pub owners: Arc<Owners>,
    pub maintenance: Arc<MaintenanceSwitch>,
    pub idempotency: Arc<InFlightKeys>,
    /// The backups in the data directory, and whether one is being taken.
    pub backups: Backups,
    /// The certificate HTTPS serves (reloaded on SIGHUP), when TLS is on.
    pub tls: Option<Arc<Tls>>,
    /// The open change streams and the hubs that feed them.
    pub streams: Streams,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        AppState::with_tls(store, config, None)
    }

    /// [`AppState::new`], serving HTTPS with `tls`.
    pub fn with_tls(store: Arc<dyn Store>, config: Config, tls: Option<Arc<Tls>>) -> Self {
        let owners = Arc::new(Owners::default());
        AppState(Arc::new(Shared {
            tokens: TokenService::new(store.clone(), config.token_ttl, Arc::clone(&owners)),
            owners,
            client_auth: ClientAuth::new(),
            rates: RateLimits::new(config.client_rate.map(|per_second| {
                RateLimit {
                    per_second,
                    burst: config
                        .client_burst
                        .unwrap_or_else(|| RateLimit::default_burst(per_second)),
                }
            })),
            admission: Arc::new(Admission::new(
                config.max_in_flight,
                config.queue_timeout,
                (config.max_in_flight * usize::from(config.client_share)).div_ceil(100),
            )),
            schemas: Schemas::new(instance_limits(
                config.body_limit + crate::request::body::SERVER_MEMBERS_BYTES,
                config.max_json_depth,
            )),
            backups: Backups::new(&config.data_dir),
            tls,
            streams: Streams::new(store.clone(), config.max_streams, config.stream_keepalive),
            store,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::default()),
            maintenance: Arc::default(),
            idempotency: Arc::default(),
        }))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
