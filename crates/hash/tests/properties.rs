//! Property tests of the serialization rules behind Kong's configuration
//! hash: sorted keys, the short/long array separator rule, the 1,000,000-byte
//! fold, Lua number printing and how part hashes compose. (The order keys are
//! given in cannot matter: a JSON object of this workspace holds them sorted.)
#![allow(clippy::unwrap_used)]

use kongsync_hash::{config_hash, format_lua_number, hash_value, to_sorted_string, EMPTY_HASH};
use md5::{Digest, Md5};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// Arbitrary JSON, a few levels deep, with finite numbers.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e20f64..1e20).prop_map(|n| json!(n)),
        "[a-zA-Z0-9 _;:/{}-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..9).prop_map(Value::Array),
            prop::collection::vec(("[a-z_]{1,6}", inner), 0..8).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn short_arrays_join_long_arrays_terminate(items in prop::collection::vec("[a-z0-9]{0,4}", 1..12)) {
        let value = json!(items);
        let want = if items.len() <= 5 {
            items.join(";")
        } else {
            items.iter().map(|s| format!("{s};")).collect()
        };
        prop_assert_eq!(String::from_utf8(to_sorted_string(&value)).unwrap(), want);
    }

    #[test]
    fn objects_are_sorted_key_value_pairs(map in prop::collection::btree_map("[A-Za-z_]{1,5}", "[a-z]{0,3}", 1..8)) {
        // BTreeMap iterates in bytewise order, the order Kong sorts by.
        let want: String = map.iter().map(|(k, v)| format!("{k}:{v};")).collect();
        let value = Value::Object(map.into_iter().map(|(k, v)| (k, Value::String(v))).collect());
        prop_assert_eq!(String::from_utf8(to_sorted_string(&value)).unwrap(), want);
    }

    #[test]
    fn strings_are_written_raw(s in any::<String>()) {
        prop_assert_eq!(to_sorted_string(&json!(s)), s.as_bytes());
    }

    #[test]
    fn integers_print_without_fraction(n in -99_999_999_999_999i64..=99_999_999_999_999) {
        prop_assert_eq!(format_lua_number(n as f64), n.to_string());
        prop_assert_eq!(to_sorted_string(&json!(n)), n.to_string().into_bytes());
        // An integral float prints the same as the integer.
        prop_assert_eq!(to_sorted_string(&json!(n as f64)), n.to_string().into_bytes());
    }

    #[test]
    fn numbers_follow_percent_14g(x in any::<f64>().prop_filter("finite", |x| x.is_finite() && *x != 0.0)) {
        let got = format_lua_number(x);
        // Same value as rounding to 14 significant digits.
        let rounded: f64 = format!("{x:.13e}").parse().unwrap();
        prop_assert_eq!(got.parse::<f64>().unwrap(), rounded);
        // Exponent style exactly when the rounded exponent is < -4 or >= 14,
        // with a signed exponent of at least two digits.
        let exp = format!("{x:.13e}").split_once('e').unwrap().1.parse::<i32>().unwrap();
        if (-4..14).contains(&exp) {
            prop_assert!(!got.contains('e'), "{}", got);
        } else {
            let (mantissa, e) = got.split_once('e').unwrap();
            prop_assert!(e.starts_with('+') || e.starts_with('-'));
            prop_assert!(e.len() >= 3);
            prop_assert!(!mantissa.ends_with('0') || !mantissa.contains('.'));
        }
        // No trailing zeros after a point, no dangling point.
        let mantissa = got.split('e').next().unwrap();
        if mantissa.contains('.') {
            prop_assert!(!mantissa.ends_with('0') && !mantissa.ends_with('.'), "{}", got);
        }
        let digits = mantissa.chars().filter(char::is_ascii_digit).collect::<String>();
        prop_assert!(digits.trim_start_matches('0').len() <= 14, "{}", got);
    }

    #[test]
    fn config_hash_composes_part_hashes(
        routes in prop::option::of(any_json()),
        plugins in prop::option::of(any_json()),
        rest in prop::collection::vec(("[a-z_]{1,6}", any_json()), 0..4),
    ) {
        let mut map: Map<String, Value> = rest.into_iter().collect();
        for key in ["routes", "services", "plugins", "upstreams", "targets"] {
            map.remove(key);
        }
        let rest_hash = hash_value(&Value::Object(map.clone()));
        if let Some(r) = &routes { map.insert("routes".into(), r.clone()); }
        if let Some(p) = &plugins { map.insert("plugins".into(), p.clone()); }
        let part = |v: &Option<Value>| v.as_ref().map_or(EMPTY_HASH.to_owned(), hash_value);
        let joined = format!(
            "{}{}{}{}{}{}",
            part(&routes), EMPTY_HASH, part(&plugins), EMPTY_HASH, EMPTY_HASH, rest_hash
        );
        prop_assert_eq!(config_hash(&Value::Object(map)), md5_hex(joined.as_bytes()));
    }
}

proptest! {
    // Each case writes megabytes; a few cases cover the rule.
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn fold_matches_a_streaming_model(sizes in prop::collection::vec(1usize..400_000, 6..14)) {
        // An array of six or more long strings: each item is one value write,
        // and the model folds before each item exactly as Kong does.
        let items: Vec<String> = sizes
            .iter()
            .enumerate()
            .map(|(i, n)| char::from(b'a' + (i % 26) as u8).to_string().repeat(*n))
            .collect();
        let mut model: Vec<u8> = Vec::new();
        for item in &items {
            if model.len() > 1_000_000 {
                model = Md5::digest(&model).to_vec();
            }
            model.extend_from_slice(item.as_bytes());
            model.push(b';');
        }
        let got = to_sorted_string(&json!(items));
        prop_assert_eq!(md5_hex(&got), md5_hex(&model));
        prop_assert_eq!(got, model);
    }
}

#[test]
fn fold_happens_only_past_one_million_bytes() {
    // Six items, so each is followed by `;`. With a first item of 999,991
    // bytes the buffer holds exactly 1,000,000 bytes when the last item
    // starts: not more than the threshold, so nothing is folded.
    let exact = "x".repeat(999_991);
    let items = json!([exact, "a", "b", "c", "d", "e"]);
    let got = to_sorted_string(&items);
    assert_eq!(got, format!("{exact};a;b;c;d;e;").into_bytes());

    // One byte more and the last item starts on a folded buffer.
    let over = "x".repeat(999_992);
    let items = json!([over, "a", "b", "c", "d", "e"]);
    let mut want = Md5::digest(format!("{over};a;b;c;d;").as_bytes()).to_vec();
    want.extend_from_slice(b"e;");
    assert_eq!(to_sorted_string(&items), want);
}

#[test]
fn fold_is_checked_before_values_not_keys() {
    // The key and `:` are written without a check; the fold happens when the
    // value starts, so the key's bytes end up inside the digest.
    let big = "y".repeat(1_000_001);
    let value = json!({"a": big, "b": "v"});
    let mut want = Md5::digest(format!("a:{big};b:").as_bytes()).to_vec();
    want.extend_from_slice(b"v;");
    assert_eq!(to_sorted_string(&value), want);
}
