//! The ways jsonschema 0.61 applies a subschema, and what each way applies next at the
//! same instance location. Read off its `keywords/*.rs`:
//!
//! - `is_valid` ([`Mode::Valid`]) may stop early, but nothing here assumes it does.
//! - Collecting errors ([`Mode::Collect`]) checks a leaf keyword with `is_valid` first
//!   and builds its error only on failure. `anyOf` and `oneOf` first run `is_valid` over
//!   their branches, then, on failure, collect every branch's errors into the error's
//!   context ([`Mode::Context`]), where each error clones its instance (`to_owned`).
//!   `not`, `if` and `contains` only ever run `is_valid` on their subschema.
//! - `unevaluatedProperties`/`unevaluatedItems` walk the in-place applicators again to
//!   mark what they evaluated ([`Mode::Mark`]): `allOf`/`anyOf`/`oneOf` branches and `if`
//!   are checked with `is_valid`, `$ref`, `then`/`else` and `dependentSchemas` are
//!   walked on.

use crate::error::SchemaError;
use crate::graph::{Graph, Id, Same};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Valid,
    Collect,
    Context,
    Mark,
}

const MODES: [Mode; 4] = [Mode::Valid, Mode::Collect, Mode::Context, Mode::Mark];

impl Mode {
    pub(crate) fn collects(self) -> bool {
        matches!(self, Mode::Collect | Mode::Context)
    }

    /// How child applicators (`properties`, `items`, ...) apply in this mode.
    pub(crate) fn descending(self) -> Option<Mode> {
        match self {
            Mode::Mark => None,
            other => Some(other),
        }
    }

    /// How `propertyNames` applies: its errors are wrapped (and cloned) into one.
    pub(crate) fn names(self) -> Option<Mode> {
        match self {
            Mode::Valid => Some(Mode::Valid),
            Mode::Collect | Mode::Context => Some(Mode::Context),
            Mode::Mark => None,
        }
    }
}

pub(crate) fn state(id: Id, mode: Mode) -> usize {
    id * MODES.len() + MODES.iter().position(|m| *m == mode).unwrap_or(0)
}

pub(crate) fn split(state: usize) -> (Id, Mode) {
    (state / MODES.len(), MODES[state % MODES.len()])
}

/// The states one application in `state` applies at the same instance location.
pub(crate) fn same_location(graph: &Graph, state: usize) -> Vec<usize> {
    let (id, mode) = split(state);
    let node = &graph.nodes[id];
    let mut next = Vec::new();
    if node.marks && mode != Mode::Mark {
        next.push(self::state(id, Mode::Mark));
    }
    for &(kind, target) in &node.same {
        let modes: &[Mode] = match (mode, kind) {
            (Mode::Valid, _) => &[Mode::Valid],
            (_, Same::Not | Same::If) if mode != Mode::Mark => &[Mode::Valid],
            (Mode::Collect, Same::Branch) | (Mode::Context, Same::Branch) => {
                &[Mode::Valid, Mode::Context]
            }
            (Mode::Collect, _) => &[Mode::Collect],
            (Mode::Context, _) => &[Mode::Context],
            (Mode::Mark, Same::Not) => &[],
            (Mode::Mark, Same::AllOf | Same::Branch | Same::If) => &[Mode::Valid, Mode::Mark],
            (Mode::Mark, _) => &[Mode::Mark],
        };
        next.extend(modes.iter().map(|&m| self::state(target, m)));
    }
    next
}

/// Every state in an order where each comes after all that apply it at the same
/// location; a cycle (a subschema applying itself without descending) is refused.
pub(crate) fn topological_order(graph: &Graph) -> Result<Vec<usize>, SchemaError> {
    let states = graph.nodes.len() * MODES.len();
    // 0 = unseen, 1 = on the stack, 2 = done.
    let mut mark = vec![0u8; states];
    let mut postorder = Vec::with_capacity(states);
    for root in 0..states {
        if mark[root] != 0 {
            continue;
        }
        let mut stack = vec![(root, same_location(graph, root), 0usize)];
        mark[root] = 1;
        while let Some((state, next, i)) = stack.last_mut() {
            if let Some(&succ) = next.get(*i) {
                *i += 1;
                match mark[succ] {
                    0 => {
                        mark[succ] = 1;
                        let more = same_location(graph, succ);
                        stack.push((succ, more, 0));
                    }
                    1 => return Err(cycle(graph, succ)),
                    _ => {}
                }
            } else {
                mark[*state] = 2;
                postorder.push(*state);
                stack.pop();
            }
        }
    }
    postorder.reverse();
    Ok(postorder)
}

fn cycle(graph: &Graph, state: usize) -> SchemaError {
    let pointer = &graph.nodes[split(state).0].pointer;
    SchemaError::unsupported(
        pointer,
        "this subschema applies itself to the same instance location (a $ref cycle that \
         never descends into a member or item)"
            .to_owned(),
    )
}
