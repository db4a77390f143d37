//! `depot_server::request::body::merge_patch` against RFC 7396.
//!
//! Input: `<target> <patch>` as two JSON texts, or bytes from which both are built with
//! shared member names. Properties: the result equals the RFC's algorithm (written out
//! below, order-preserving), the target's members keep their order, a patch that is not
//! an object replaces the target, no member a patch object set to null survives, and a
//! patch applied twice changes nothing more than applied once.

#![no_main]

use depot_fuzz::two_values;
use depot_server::request::body::merge_patch;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

const MEMBERS: &[&str] = &["a", "b", "c", "d", "id", "title", "tags", ""];

fuzz_target!(|data: &[u8]| {
    let Some((target, patch)) = two_values(data, MEMBERS) else {
        return;
    };
    let mut once = target.clone();
    merge_patch(&mut once, &patch);

    let want = rfc7396(target.clone(), &patch);
    assert_eq!(once, want, "not what RFC 7396 gives");
    assert_eq!(
        once.to_string(),
        want.to_string(),
        "members were reordered: target {target}, patch {patch}"
    );
    if !patch.is_object() {
        assert_eq!(once, patch, "a non-object patch replaces the target");
    } else {
        assert!(once.is_object());
        assert_no_nulls_from(&once, &patch);
        assert_untouched_members_kept(&target, &patch, &once);
    }

    let mut twice = once.clone();
    merge_patch(&mut twice, &patch);
    assert_eq!(twice, once, "applying the patch again changed the result");
    assert_eq!(twice.to_string(), once.to_string());
});

/// The pseudo-code of RFC 7396 §2, over a member list so that order is explicit:
/// a kept member stays where it was, a new one goes last.
fn rfc7396(target: Value, patch: &Value) -> Value {
    let Value::Object(patch) = patch else {
        return patch.clone();
    };
    let mut members: Vec<(String, Value)> = match target {
        Value::Object(map) => map.into_iter().collect(),
        _ => Vec::new(),
    };
    for (name, value) in patch {
        let at = members.iter().position(|(k, _)| k == name);
        match (value.is_null(), at) {
            (true, Some(i)) => {
                members.remove(i);
            }
            (true, None) => {}
            (false, Some(i)) => {
                let old = std::mem::take(&mut members[i].1);
                members[i].1 = rfc7396(old, value);
            }
            (false, None) => members.push((name.clone(), rfc7396(Value::Null, value))),
        }
    }
    Value::Object(members.into_iter().collect::<Map<_, _>>())
}

/// Where a patch object says null, the result has no member; where it nests an
/// object, the same holds one level down.
fn assert_no_nulls_from(result: &Value, patch: &Value) {
    let (Value::Object(result), Value::Object(patch)) = (result, patch) else {
        return;
    };
    for (name, value) in patch {
        if value.is_null() {
            assert!(
                !result.contains_key(name),
                "{name} was nulled yet is present"
            );
        } else {
            let got = result
                .get(name)
                .expect("a non-null patch member is present");
            if value.is_object() {
                assert!(got.is_object());
                assert_no_nulls_from(got, value);
            } else {
                assert_eq!(got, value, "a non-object member replaces");
            }
        }
    }
}

/// Members of an object target that the patch doesn't name are left as they were.
fn assert_untouched_members_kept(target: &Value, patch: &Value, result: &Value) {
    let (Value::Object(target), Value::Object(patch), Value::Object(result)) =
        (target, patch, result)
    else {
        return;
    };
    for (name, value) in target {
        if !patch.contains_key(name) {
            assert_eq!(result.get(name), Some(value), "{name} changed unpatched");
        }
    }
}
