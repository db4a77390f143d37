//! Maintenance mode: while enabled, every write to projects, collections, items and
//! clients answers 503 with the configured `Retry-After`, whoever sends it. Reads, the
//! OAuth endpoints and the switch itself keep working.
//!
//! The switch is kept in the store (so it survives restarts and is shared by every
//! instance on one database) and mirrored in memory, refreshed from the store every
//! [`REFRESH_INTERVAL`], so checking it costs no I/O.

use depot_api::types::Maintenance;
use depot_store::{Store, StoreError};
use std::sync::RwLock;
use std::time::Duration;

pub const SETTING_KEY: &str = "maintenance";
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(1);
const OFF: Maintenance = Maintenance {
    enabled: false,
    retry_after: 30,
};

#[derive(Debug)]
pub struct MaintenanceSwitch(RwLock<Maintenance>);

impl Default for MaintenanceSwitch {
    fn default() -> Self {
        MaintenanceSwitch(RwLock::new(OFF))
    }
}

impl MaintenanceSwitch {
    pub fn get(&self) -> Maintenance {
        *self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, value: Maintenance) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = value;
    }

    /// Reads the stored switch into memory.
    pub async fn refresh(&self, store: &dyn Store) -> Result<(), StoreError> {
        let stored = store.get_setting(SETTING_KEY).await?;
        let value = match stored {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| StoreError::Other(format!("stored maintenance setting: {e}")))?,
            None => OFF,
        };
        self.set(value);
        Ok(())
    }

    /// Stores the switch, then mirrors it; the write itself is exempt from maintenance.
    pub async fn store(&self, store: &dyn Store, value: Maintenance) -> Result<(), StoreError> {
        let text = serde_json::to_string(&value).map_err(|e| StoreError::Other(e.to_string()))?;
        store.put_setting(SETTING_KEY, &text).await?;
        self.set(value);
        Ok(())
    }
}
