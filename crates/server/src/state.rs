//! The state every handler shares.

use crate::auth::tokens::TokenService;
use crate::config::Config;
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
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: Config) -> Self {
        AppState {
            tokens: TokenService::new(store.clone(), config.token_ttl),
            store,
            config: Arc::new(config),
            schemas: SchemaCache::default(),
            metrics: Arc::new(Metrics::default()),
        }
    }
}
