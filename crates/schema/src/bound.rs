//! An upper bound on what validating any instance against a schema costs, computed
//! once when the schema is set.
//!
//! A *profile* says how many times each subschema applies to one instance node, in
//! each of the ways jsonschema applies it ([`Mode`]). The root node gets one
//! application of the root schema; applying in-place applicators closes the profile
//! (a same-location cycle is refused: it would make the count infinite); a child's
//! profile follows from its parent's and from which child it is (a named member, an
//! index below `prefixItems`, any other member or item, a member name). Profiles at
//! each depth are kept apart (so that two different properties do not add up) up to
//! [`MAX_PROFILES_PER_DEPTH`], then merged by taking the larger count everywhere, which
//! stays an upper bound. Counts never assume a branch stops early: `anyOf` and `oneOf`
//! count every branch, `if` counts `then` and `else`.
//!
//! The cost of an instance is then the sum over its nodes of its profile's cost, which
//! the instance's size caps: at most `max_nodes` nodes, and at each depth subtrees that
//! together hold at most `max_bytes` bytes.

use crate::error::SchemaError;
use crate::graph::{Graph, Id, Node, Same};
use crate::limits::{MAX_PROFILES_PER_DEPTH, cost};
use std::collections::{BTreeMap, HashMap};

mod modes;
pub(crate) use modes::Mode;

/// Counts never grow past this, so that sums stay finite.
const SATURATED: f64 = 1e30;
/// A depth whose profiles hold more entries than this is merged into one profile, so
/// that the analysis itself stays cheap.
const MAX_ENTRIES_PER_DEPTH: usize = 400_000;

/// Profile entries the analysis may create in all; past it, each level is analysed
/// coarsely, so that checking any schema stays cheap.
const MAX_ANALYSIS_ENTRIES: usize = 2_000_000;

/// Named members followed one by one per depth; beyond, every name is taken to get
/// every `properties` entry at once.
const MAX_NAMES_PER_DEPTH: usize = 4096;

/// (subschema, mode) as one index.
pub(crate) type State = usize;

#[derive(Clone, Debug, PartialEq)]
struct Profile {
    /// (state, applications), sorted by state, of the subschemas that apply anything to
    /// children: the others only add to `cost`, so that profiles differing in them alone
    /// are one profile.
    entries: Vec<(State, f64)>,
    /// How many instance nodes can carry it: finite only when reached from the root by
    /// named members and fixed indices alone (each such path names one node).
    count: f64,
    /// What one node carrying it costs.
    cost: Worst,
    /// The costliest subschema: its applications to one node, which it is, and its
    /// cost on a 1 MiB instance (for ranking).
    hot: (f64, Id, f64),
    /// The most applications of any one subschema.
    most: f64,
}

/// The worst of the profiles at one depth, per instance node.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Worst {
    /// Fixed cost (ns) of a node reachable by any path (count unbounded).
    pub plural_ns: f64,
    pub string_ns: f64,
    pub tree_ns: f64,
    pub child_ns: f64,
    /// Errors per node when collecting, their fixed payload, and those that carry (a
    /// clone of) the instance.
    pub errors: f64,
    pub error_payload: f64,
    pub sized_errors: f64,
}

/// What [`analyze`] finds for one starting mode.
#[derive(Clone, Debug, Default)]
pub(crate) struct Bound {
    /// Index = depth of the instance node.
    pub depths: Vec<Worst>,
    /// Fixed cost of all nodes whose profile has a finite count, together...
    pub finite_ns: f64,
    /// ...and the most one of them costs: with no more nodes than the instance has,
    /// they cannot cost more than that many times this.
    pub finite_max_ns: f64,
    /// Once per validation: building the patterns' automata.
    pub setup_ns: f64,
    /// In the costliest profile, the costliest subschema: how many times it applies to
    /// one instance node, and which it is. What a refusal points at.
    pub most_applied: (f64, Id),
    /// The most applications of any one subschema to one instance node.
    pub max_applications: f64,
}

impl Worst {
    /// Raises each part to at least `other`'s.
    fn raise(&mut self, other: &Worst) {
        self.plural_ns = self.plural_ns.max(other.plural_ns);
        self.string_ns = self.string_ns.max(other.string_ns);
        self.tree_ns = self.tree_ns.max(other.tree_ns);
        self.child_ns = self.child_ns.max(other.child_ns);
        self.errors = self.errors.max(other.errors);
        self.error_payload = self.error_payload.max(other.error_payload);
        self.sized_errors = self.sized_errors.max(other.sized_errors);
    }
}

impl Bound {
    /// The fixed cost of the nodes with a finite count, in an instance of `nodes` nodes.
    pub(crate) fn finite_cost(&self, nodes: f64) -> f64 {
        self.finite_ns.min(nodes * self.finite_max_ns)
    }
}

/// Follows the schema from the root applied in `start` mode, `max_depth` levels down.
pub(crate) fn analyze(graph: &Graph, start: Mode, max_depth: usize) -> Result<Bound, SchemaError> {
    let closer = Closer::new(graph)?;
    let root = closer.profile(closer.close(vec![(modes::state(0, start), 1.0)]), 1.0);
    let mut bound = Bound::default();
    let mut level = vec![root];
    let mut spent = 0;
    let mut hottest = 0.0;
    for depth in 0..=max_depth {
        let mut worst = Worst::default();
        for profile in &level {
            if profile.cost.plural_ns + profile.cost.string_ns + profile.cost.tree_ns >= hottest {
                hottest = profile.cost.plural_ns + profile.cost.string_ns + profile.cost.tree_ns;
                bound.most_applied = (profile.hot.0, profile.hot.1);
            }
            bound.max_applications = bound.max_applications.max(profile.most);
            let cost = &profile.cost;
            let mut others = cost.clone();
            if profile.count.is_finite() {
                bound.finite_ns = saturate(bound.finite_ns + profile.count * cost.plural_ns);
                bound.finite_max_ns = bound.finite_max_ns.max(cost.plural_ns);
                others.plural_ns = 0.0;
            }
            worst.raise(&others);
        }
        bound.depths.push(worst);
        if depth == max_depth {
            break;
        }
        level = closer.children(&level, &mut spent);
        if level.is_empty() {
            break;
        }
    }
    Ok(bound)
}

fn saturate(x: f64) -> f64 {
    if x.is_nan() {
        SATURATED
    } else {
        x.min(SATURATED)
    }
}

/// Closes profiles over same-location applications, in a topological order of states.
struct Closer<'g> {
    graph: &'g Graph,
    /// Position of each state in the topological order.
    position: Vec<usize>,
    order: Vec<State>,
}

/// Which child of a container a profile is for.
#[derive(Clone, Copy, Debug)]
enum Choice<'a> {
    Named(&'a str),
    /// Any member not named by a `properties` of the profile; every name if the profile
    /// lists too many names to follow one by one.
    Other,
    AnyName,
    Index(usize),
    Beyond,
    /// Any item, positional or not (the coarse analysis).
    AnyIndex,
    /// A member name, for `propertyNames`.
    Key,
}

impl<'g> Closer<'g> {
    fn new(graph: &'g Graph) -> Result<Closer<'g>, SchemaError> {
        let order = modes::topological_order(graph)?;
        let mut position = vec![0; order.len()];
        for (i, &state) in order.iter().enumerate() {
            position[state] = i;
        }
        Ok(Closer {
            graph,
            position,
            order,
        })
    }

    fn close(&self, start: Vec<(State, f64)>) -> Vec<(State, f64)> {
        let mut pending: BTreeMap<usize, f64> = BTreeMap::new();
        for (state, weight) in start {
            *pending.entry(self.position[state]).or_default() += weight;
        }
        let mut closed = Vec::new();
        while let Some((position, weight)) = pending.pop_first() {
            let state = self.order[position];
            let weight = saturate(weight);
            closed.push((state, weight));
            for next in modes::same_location(self.graph, state) {
                *pending.entry(self.position[next]).or_default() += weight;
            }
        }
        closed.sort_unstable_by_key(|&(state, _)| state);
        closed
    }

    /// A profile from closed `entries`: its cost, then only what reaches children.
    fn profile(&self, entries: Vec<(State, f64)>, count: f64) -> Profile {
        let cost = self.node_costs(&entries);
        // The costliest subschema here, ranked on a 1 MiB instance.
        let score = |&(state, weight): &(State, f64)| {
            let costs = &self.graph.nodes[modes::split(state).0].costs;
            weight * (costs.fixed_ns + (costs.string_ns + costs.tree_ns) * 1_048_576.0)
        };
        let hot = entries
            .iter()
            .map(|entry| (entry.1, modes::split(entry.0).0, score(entry)))
            .fold((0.0, 0, -1.0), hotter);
        let most = entries.iter().map(|e| e.1).fold(0.0, f64::max);
        let entries = entries
            .into_iter()
            .filter(|&(state, _)| self.graph.nodes[modes::split(state).0].descends())
            .collect();
        Profile {
            entries,
            count,
            cost,
            hot,
            most,
        }
    }

    fn node_costs(&self, entries: &[(State, f64)]) -> Worst {
        let mut worst = Worst::default();
        for &(state, weight) in entries {
            let (id, mode) = modes::split(state);
            let costs = &self.graph.nodes[id].costs;
            let checks = if mode.collects() { 2.0 } else { 1.0 };
            worst.plural_ns += weight * costs.fixed_ns * checks;
            worst.string_ns += weight * costs.string_ns * checks;
            worst.tree_ns += weight * costs.tree_ns * checks;
            worst.child_ns += weight * costs.child_ns;
            if mode.collects() {
                worst.errors += weight * costs.errors;
                worst.error_payload += weight * costs.error_payload;
                worst.sized_errors += weight * costs.sized_errors;
                if mode == Mode::Context {
                    worst.sized_errors += weight * costs.errors;
                }
            }
        }
        let errors_ns = worst.errors * cost::ERROR_NS;
        worst.plural_ns = saturate(worst.plural_ns + errors_ns);
        worst
    }

    /// The profiles of every kind of child of the nodes at one depth.
    fn children(&self, level: &[Profile], spent: &mut usize) -> Vec<Profile> {
        if *spent > MAX_ANALYSIS_ENTRIES {
            return self.coarse_children(level);
        }
        let mut found: HashMap<Vec<(State, u64)>, usize> = HashMap::new();
        let mut next: Vec<Profile> = Vec::new();
        let total_names: usize = level.iter().map(|p| self.names(p).len()).sum();
        for profile in level {
            let mut choices: Vec<Choice> = vec![Choice::Beyond, Choice::Key];
            if total_names <= MAX_NAMES_PER_DEPTH {
                choices.push(Choice::Other);
                choices.extend(self.names(profile).into_iter().map(Choice::Named));
            } else {
                choices.push(Choice::AnyName);
            }
            choices.extend((0..self.prefix_len(profile)).map(Choice::Index));
            for choice in choices {
                let start = self.step(profile, choice);
                if start.is_empty() {
                    continue;
                }
                let entries = self.close(start);
                *spent += entries.len();
                let count = match choice {
                    Choice::Named(_) | Choice::Index(_) => profile.count,
                    _ => f64::INFINITY,
                };
                let child = self.profile(entries, count);
                let key: Vec<(State, u64)> = child
                    .entries
                    .iter()
                    .map(|&(s, w)| (s, w.to_bits()))
                    .collect();
                match found.get(&key) {
                    // The same children: one profile, as costly as the costlier.
                    Some(&i) => {
                        next[i].count += child.count;
                        next[i].cost.raise(&child.cost);
                        next[i].hot = hotter(next[i].hot, child.hot);
                        next[i].most = next[i].most.max(child.most);
                    }
                    None => {
                        found.insert(key, next.len());
                        next.push(child);
                    }
                }
            }
        }
        let entries: usize = next.iter().map(|p| p.entries.len()).sum();
        if next.len() > MAX_PROFILES_PER_DEPTH || entries > MAX_ENTRIES_PER_DEPTH {
            next = vec![merge(&next)];
        }
        next
    }

    /// Children once the analysis spent its budget: one merged profile per level, and
    /// every member (or item) taken to get every applicator aimed at any of them.
    fn coarse_children(&self, level: &[Profile]) -> Vec<Profile> {
        let merged = merge(level);
        let children: Vec<Profile> = [Choice::AnyName, Choice::AnyIndex, Choice::Key]
            .into_iter()
            .map(|choice| self.step(&merged, choice))
            .filter(|start| !start.is_empty())
            .map(|start| self.profile(self.close(start), f64::INFINITY))
            .collect();
        if children.is_empty() {
            return children;
        }
        vec![merge(&children)]
    }

    fn names<'p>(&'p self, profile: &Profile) -> Vec<&'g str> {
        let mut names: Vec<&str> = profile
            .entries
            .iter()
            .flat_map(|&(state, _)| &self.graph.nodes[modes::split(state).0].properties)
            .map(|(name, _)| name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    fn prefix_len(&self, profile: &Profile) -> usize {
        profile
            .entries
            .iter()
            .map(|&(state, _)| {
                let node = &self.graph.nodes[modes::split(state).0];
                node.prefix.len().max(node.legacy_items.len())
            })
            .max()
            .unwrap_or(0)
    }

    /// The applications `profile` makes on a child of kind `choice`, before closing.
    fn step(&self, profile: &Profile, choice: Choice) -> Vec<(State, f64)> {
        let mut out = Vec::new();
        for &(state, weight) in &profile.entries {
            let (id, mode) = modes::split(state);
            let node = &self.graph.nodes[id];
            let targets = match choice {
                Choice::Key => node.property_names.zip(mode.names()).into_iter().collect(),
                Choice::Index(_) | Choice::Beyond | Choice::AnyIndex => {
                    item_targets(node, mode, choice)
                }
                _ => member_targets(node, mode, choice),
            };
            out.extend(
                targets
                    .into_iter()
                    .map(|(target, mode)| (modes::state(target, mode), weight)),
            );
        }
        out
    }
}

/// What `node`, applied in `mode`, applies to a member of kind `choice`.
fn member_targets(node: &Node, mode: Mode, choice: Choice) -> Vec<(Id, Mode)> {
    let mut out = Vec::new();
    if let Some(down) = mode.descending() {
        let listed = match choice {
            Choice::Named(wanted) => node.property(wanted),
            _ => None,
        };
        if let Choice::AnyName = choice {
            out.extend(node.properties.iter().map(|&(_, t)| (t, down)));
        }
        out.extend(listed.map(|t| (t, down)));
        out.extend(node.patterns.iter().map(|&t| (t, down)));
        // `additionalProperties` skips a member `properties` names.
        if let (Some(t), None) = (node.additional, listed) {
            out.push((t, down));
        }
    }
    if let Some(t) = node.unevaluated_properties {
        out.push((t, Mode::Valid));
    }
    out
}

/// What `node`, applied in `mode`, applies to an item of kind `choice`.
fn item_targets(node: &Node, mode: Mode, choice: Choice) -> Vec<(Id, Mode)> {
    let mut out = Vec::new();
    if let Some(down) = mode.descending() {
        let (positional, legacy) = match choice {
            Choice::Index(i) => (
                node.prefix.get(i).copied().or(node.items),
                node.legacy_items.get(i).copied(),
            ),
            _ => (node.items, None),
        };
        let applied = [positional, legacy, node.additional_items];
        out.extend(applied.into_iter().flatten().map(|t| (t, down)));
        if let Choice::AnyIndex = choice {
            let every = node.prefix.iter().chain(&node.legacy_items);
            out.extend(every.map(|&t| (t, down)));
        }
    }
    // Both only ever run `is_valid` on their items.
    let checked = [node.contains, node.unevaluated_items];
    out.extend(checked.into_iter().flatten().map(|t| (t, Mode::Valid)));
    out
}

/// The costlier of two `hot` subschemas.
fn hotter(a: (f64, Id, f64), b: (f64, Id, f64)) -> (f64, Id, f64) {
    if b.2 > a.2 { b } else { a }
}

/// One profile at least as large as each of `profiles` everywhere.
fn merge(profiles: &[Profile]) -> Profile {
    let mut max: BTreeMap<State, f64> = BTreeMap::new();
    let mut cost = Worst::default();
    let mut hot = (0.0, 0, -1.0);
    let mut most: f64 = 0.0;
    for profile in profiles {
        most = most.max(profile.most);
        for &(state, weight) in &profile.entries {
            let slot = max.entry(state).or_default();
            *slot = slot.max(weight);
        }
        cost.raise(&profile.cost);
        hot = hotter(hot, profile.hot);
    }
    Profile {
        entries: max.into_iter().collect(),
        count: f64::INFINITY,
        cost,
        hot,
        most,
    }
}

/// Which in-place applicator kinds exist in the graph (for the error fallback).
pub(crate) fn has_branches(graph: &Graph) -> bool {
    graph
        .nodes
        .iter()
        .any(|n| n.same.iter().any(|(kind, _)| *kind == Same::Branch))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn most_applied(schema: &Value, start: Mode) -> f64 {
        let graph = Graph::build(schema).unwrap();
        analyze(&graph, start, 64).unwrap().max_applications
    }

    fn chain(n: usize) -> Value {
        let mut defs = serde_json::Map::new();
        for i in 0..n {
            let next = json!({"$ref": format!("#/$defs/l{}", i + 1)});
            defs.insert(format!("l{i}"), json!({"anyOf": [next, next]}));
        }
        defs.insert(format!("l{n}"), json!({"type": "string"}));
        json!({"$defs": defs, "$ref": "#/$defs/l0"})
    }

    #[test]
    fn an_anyof_chain_doubles_at_every_level() {
        assert_eq!(most_applied(&chain(5), Mode::Valid), 32.0);
        assert_eq!(most_applied(&chain(10), Mode::Valid), 1024.0);
    }

    #[test]
    fn collecting_errors_checks_each_anyof_level_again() {
        // Each level below an `anyOf` whose errors are collected first runs `is_valid`
        // over its whole subtree: the leaf is checked n * 2^n times.
        assert_eq!(most_applied(&chain(3), Mode::Collect), 24.0);
        let graph = Graph::build(&chain(3)).unwrap();
        let bound = analyze(&graph, Mode::Collect, 0).unwrap();
        // 2^3 leaf applications in each of the two modes.
        let errors = bound.depths[0].errors;
        assert!(errors >= 8.0, "{errors}");
    }

    #[test]
    fn different_properties_are_alternatives_not_a_sum() {
        let properties: serde_json::Map<String, Value> = (0..50)
            .map(|i| (format!("p{i}"), json!({"$ref": "#/$defs/x"})))
            .collect();
        let schema = json!({"$defs": {"x": {"type": "integer"}}, "properties": properties});
        assert_eq!(most_applied(&schema, Mode::Valid), 1.0);
    }

    #[test]
    fn a_json_value_schema_applies_once_per_node_at_every_depth() {
        let schema = json!({"$defs": {"v": {"anyOf": [
            {"type": "array", "items": {"$ref": "#/$defs/v"}},
            {"type": "object", "additionalProperties": {"$ref": "#/$defs/v"}},
            {"type": "number"}
        ]}}, "$ref": "#/$defs/v"});
        assert_eq!(most_applied(&schema, Mode::Valid), 1.0);
    }

    #[test]
    fn patterns_and_additional_properties_add_up_for_an_unlisted_member() {
        let schema = json!({"patternProperties": {"a": {"$ref": "#/$defs/x"}, "b": {"$ref": "#/$defs/x"}},
                            "additionalProperties": {"$ref": "#/$defs/x"},
                            "$defs": {"x": {"type": "integer"}}});
        assert_eq!(most_applied(&schema, Mode::Valid), 3.0);
    }

    #[test]
    fn unevaluated_properties_marks_through_in_place_applicators_again() {
        let schema = json!({"allOf": [{"$ref": "#/$defs/x"}], "unevaluatedProperties": false,
                            "$defs": {"x": {"properties": {"a": true}}}});
        // The applicator once, then `is_valid` of the branch while marking.
        assert_eq!(most_applied(&schema, Mode::Valid), 2.0);
    }

    #[test]
    fn a_same_location_cycle_is_refused() {
        let schema = json!({"$defs": {"a": {"not": {"$ref": "#/$defs/a"}}}, "$ref": "#/$defs/a"});
        let graph = Graph::build(&schema).unwrap();
        let err = analyze(&graph, Mode::Valid, 64).unwrap_err();
        assert_eq!(err.pointer(), "/$defs/a");
    }
}
