//! The state every handler shares.

use crate::admission::Admission;
use crate::auth::tokens::TokenService;
use crate::config::Config;
use crate::idempotency::InFlightKeys;
use crate::maintenance::MaintenanceSwitch;
use crate::metrics::Metrics;
use crate::schema::SchemaCache;
use depot_store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub tokens: TokenService,
    pub schemas: SchemaCache,
    pub metrics: Arc<Metrics>,
    pub admission: Arc<Admission>,
    pub maintenance: Arc<MaintenanceSwitch>,
    pub idempotency: Arc<InFlightKeys>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        AppState {
            tokens: TokenService::new(store.clone(), config.token_ttl),
            admission: Arc::new(Admission::new(config.max_in_flight, config.queue_timeout)),
            store,
            config: Arc::new(config),
            schemas: SchemaCache::default(),
            metrics: Arc::new(Metrics::default()),
            maintenance: Arc::default(),
            idempotency: Arc::default(),
        }
    }
}
