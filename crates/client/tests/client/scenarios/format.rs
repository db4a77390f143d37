//! The shared scenario file, format 1 (`clients/scenarios/README.md`), and what its
//! parts become for depot-client. Unknown keys are refused, so a new kind of check in
//! the file fails here loudly instead of being silently skipped.

use crate::common::wire::Answer;
use depot_client::{IdempotencyKey, Method, RetryBudget, RetryPolicy};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Doc {
    pub format: u32,
    pub defaults: Defaults,
    pub scenarios: Vec<Scenario>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    pub policy: Map<String, Value>,
    pub budget: Budget,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub request: Request,
    pub auth: Option<String>,
    #[serde(default)]
    pub policy: Map<String, Value>,
    pub budget: Option<Budget>,
    pub answers: Vec<WireAnswer>,
    #[serde(default)]
    pub repeat_last: bool,
    pub expect: Expect,
}

/// A whole policy, once the scenario's keys are laid over the defaults'.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Policy {
    base_ms: u64,
    factor: f64,
    cap_ms: u64,
    max_retries: u32,
    deadline_ms: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Budget {
    /// Only `"unlimited"`.
    Named(String),
    Bucket {
        ratio: f64,
        min_per_second: f64,
        max_tokens: f64,
        initial_tokens: f64,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub json: Option<Value>,
    /// Absent: automatic; a string: the caller's key; `false`: switched off.
    pub idempotency_key: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireAnswer {
    #[serde(default)]
    drop: bool,
    status: Option<u16>,
    #[serde(default)]
    headers: Map<String, Value>,
    json: Option<Value>,
    retry_after_http_date_in_s: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub attempts: usize,
    pub result: Outcome,
    pub delays_ms: Vec<Bounds>,
    pub idempotency_key: Option<String>,
    pub retry_events: Vec<Event>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub status: Option<u16>,
    #[serde(default)]
    pub transport_error: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub attempt: u32,
    pub reason: String,
}

impl Scenario {
    pub fn policy(&self, defaults: &Defaults) -> Result<RetryPolicy, String> {
        let mut merged = defaults.policy.clone();
        merged.extend(self.policy.clone());
        let p: Policy =
            serde_json::from_value(Value::Object(merged)).map_err(|e| format!("policy: {e}"))?;
        Ok(RetryPolicy::default()
            .with_base(Duration::from_millis(p.base_ms))
            .with_factor(p.factor)
            .with_cap(Duration::from_millis(p.cap_ms))
            .with_max_retries(p.max_retries)
            .with_deadline(p.deadline_ms.map(Duration::from_millis)))
    }

    /// The scenario's budget (or the default one), refilling on `clock`.
    pub fn budget(
        &self,
        defaults: &Defaults,
        clock: Arc<dyn depot_client::Clock>,
    ) -> Result<RetryBudget, String> {
        match self.budget.as_ref().unwrap_or(&defaults.budget) {
            Budget::Named(name) if name == "unlimited" => Ok(RetryBudget::unlimited()),
            Budget::Named(name) => Err(format!("unknown budget {name:?}")),
            Budget::Bucket {
                ratio,
                min_per_second,
                max_tokens,
                initial_tokens,
            } => Ok(RetryBudget::new(*ratio, *min_per_second, *max_tokens)
                .with_initial_tokens(*initial_tokens)
                .with_clock(clock)),
        }
    }

    pub fn method(&self) -> Result<Method, String> {
        Method::from_bytes(self.request.method.as_bytes())
            .map_err(|e| format!("method {:?}: {e}", self.request.method))
    }

    pub fn idempotency_key(&self) -> Result<IdempotencyKey, String> {
        match &self.request.idempotency_key {
            None => Ok(IdempotencyKey::Auto),
            Some(Value::Bool(false)) => Ok(IdempotencyKey::Off),
            Some(Value::String(key)) => Ok(IdempotencyKey::Given(key.clone())),
            Some(other) => Err(format!("idempotency_key {other}")),
        }
    }

    pub fn answers(&self) -> Result<Vec<Answer>, String> {
        self.answers.iter().map(WireAnswer::to_answer).collect()
    }
}

impl WireAnswer {
    fn to_answer(&self) -> Result<Answer, String> {
        if self.drop {
            return Ok(Answer::Drop);
        }
        let status = self.status.ok_or("an answer without status or drop")?;
        let headers = self
            .headers
            .iter()
            .map(|(name, value)| match value {
                Value::String(text) => Ok((name.clone(), text.clone())),
                other => Err(format!("header {name}: {other} is not a string")),
            })
            .collect::<Result<_, String>>()?;
        Ok(Answer::Reply {
            status,
            headers,
            body: self
                .json
                .clone()
                .unwrap_or_else(|| Value::Object(Map::new())),
            retry_after_date_in: self.retry_after_http_date_in_s.map(Duration::from_secs),
        })
    }
}
