//! What checking a schema costs when it is set: jsonschema's compilation plus the cost
//! analysis, for schemas built to make the analysis work hardest.
//!
//! ```sh
//! cargo run --release -p depot-schema --example compile_cost
//! ```

use serde_json::{Map, Value, json};
use std::time::Instant;

fn main() {
    let patterns: Map<String, Value> = (0..60)
        .map(|i| {
            (
                format!("p{i}"),
                json!({"pattern": format!("\\w{{900}}x{i}")}),
            )
        })
        .collect();
    report("60 patterns \\w{900}x", json!({"properties": patterns}));
    let patterns: Map<String, Value> = (0..60)
        .map(|i| {
            let k = 10 + i % 3;
            (
                format!("p{i}"),
                json!({"pattern": format!("(a|b)*a(a|b){{{k}}}c{i}")}),
            )
        })
        .collect();
    report(
        "60 exponential-DFA patterns",
        json!({"properties": patterns}),
    );
    let properties: Map<String, Value> = (0..1999)
        .map(|i| (format!("p{i}"), json!({"$ref": "#"})))
        .collect();
    report(
        "1999 recursive properties",
        json!({"properties": properties}),
    );
    let properties: Map<String, Value> = (0..600)
        .map(|i| {
            let inner = json!({format!("q{i}"): {"$ref": "#"}, "r": {"$ref": "#"}});
            (format!("p{i}"), json!({"properties": inner}))
        })
        .collect();
    report(
        "600 x 2 nested recursive",
        json!({"properties": properties}),
    );
    let mut defs = Map::new();
    for i in 0..400 {
        let next = |k: usize| json!({"$ref": format!("#/$defs/d{}", (i * k + 1) % 400)});
        defs.insert(
            format!("d{i}"),
            json!({"properties": {format!("a{i}"): next(7), format!("b{i}"): next(13)},
                   "prefixItems": [next(3)]}),
        );
    }
    report(
        "400 interlinked $defs",
        json!({"$defs": defs, "$ref": "#/$defs/d0"}),
    );
}

fn report(name: &str, schema: Value) {
    let start = Instant::now();
    let outcome = match depot_schema::compile(&schema) {
        Ok(compiled) => format!(
            "accepted, worst item {:.1} ms",
            compiled.worst_case_ns() / 1e6
        ),
        Err(err) => format!("refused: {}", err.limit().unwrap_or("other")),
    };
    let ms = start.elapsed().as_secs_f64() * 1e3;
    println!("{name:32} {ms:>8.1} ms  {outcome}");
}
