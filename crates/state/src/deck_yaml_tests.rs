//! decK's YAML style, pinned on small documents written the way decK's dumps are (its
//! `tests/integration/testdata/dump/*` files show each of these shapes).

use super::*;
use serde_json::json;

#[test]
fn layout_key_order_and_quoting_follow_yaml_v2() {
    let doc = json!({
        "services": [{"name": "svc1", "port": 80, "routes": [{"paths": ["/r1"], "name": "r1"}],
            "tags": ["team-svc1"], "enabled": true, "client_certificate": null}],
        "_info": {"select_tags": ["a"], "defaults": {}},
        "_format_version": "3.0",
        "consumers": [{"username": "harry", "groups": [], "custom_id": "123"}],
    });
    assert_eq!(
        to_string(&doc),
        "_format_version: \"3.0\"\n\
         _info:\n  defaults: {}\n  select_tags:\n  - a\n\
         consumers:\n- custom_id: \"123\"\n  groups: []\n  username: harry\n\
         services:\n- client_certificate: null\n  enabled: true\n  name: svc1\n  port: 80\n  routes:\n  \
         - name: r1\n    paths:\n    - /r1\n  tags:\n  - team-svc1\n"
    );
}

#[test]
fn multi_line_strings_are_literal_blocks_with_yaml_v2s_chomping() {
    let doc = json!({"certificates": [{"cert": "-----BEGIN-----\nAAA\n\nBBB\n-----END-----\n",
        "key": "-----BEGIN-----\nCCC\n-----END-----", "x": "a\n\n"}]});
    assert_eq!(
        to_string(&doc),
        "certificates:\n- cert: |\n    -----BEGIN-----\n    AAA\n\n    BBB\n    -----END-----\n  \
         key: |-\n    -----BEGIN-----\n    CCC\n    -----END-----\n  x: |+\n    a\n\n"
    );
}

#[test]
fn long_scalars_fold_at_a_space_past_column_80() {
    // A JWK in a key, as decK's dump/007-keys-and-key_sets files hold one: single-quoted (it starts
    // with `{`), folded at the first space after column 80, continued one step in.
    let jwk = r#"{"kty": "RSA", "kid": "vsR8NCNV_1_LB06LqudGa2r-T0y4Z6VQVYue9IQz6A4", "n": "v2KAzzfruqctVHaE9WSCWIg1xAhM", "e": "AQAB"}"#;
    let doc = json!({"keys": [{"jwk": jwk, "kid": "k"}]});
    assert_eq!(
        to_string(&doc),
        "keys:\n- jwk: '{\"kty\": \"RSA\", \"kid\": \"vsR8NCNV_1_LB06LqudGa2r-T0y4Z6VQVYue9IQz6A4\", \"n\":\n    \
         \"v2KAzzfruqctVHaE9WSCWIg1xAhM\", \"e\": \"AQAB\"}'\n  kid: k\n"
    );
    let words = "word ".repeat(20);
    let plain = to_string(&json!({"description": words.trim_end()}));
    assert_eq!(plain, format!("description: {}\n  word word word word word word\n", "word ".repeat(14).trim_end()));
}

#[test]
fn strings_that_would_read_back_as_something_else_are_quoted() {
    let cases = [
        ("true", "\"true\""),
        ("yes", "\"yes\""),
        ("null", "\"null\""),
        ("", "\"\""),
        ("8080", "\"8080\""),
        ("3.0", "\"3.0\""),
        ("1e3", "\"1e3\""),
        ("0x1F", "\"0x1F\""),
        ("2024-01-31", "\"2024-01-31\""),
        ("- item", "'- item'"),
        ("a: b", "'a: b'"),
        ("#comment", "'#comment'"),
        ("it's #1", "'it''s #1'"),
        (" leading", "' leading'"),
        ("@openai/gpt-5", "'@openai/gpt-5'"),
        ("tab\there", "\"tab\\there\""),
        ("a:b", "a:b"),
        ("hello world", "hello world"),
        ("/r1", "/r1"),
        ("~/path", "~/path"),
        ("198.51.100.11:80", "198.51.100.11:80"),
        ("héllo", "héllo"),
    ];
    for (given, written) in cases {
        assert_eq!(to_string(&json!({ "k": given })), format!("k: {written}\n"), "{given:?}");
    }
}

#[test]
fn numbers_are_written_as_go_writes_them() {
    let doc = json!({"a": 60000, "b": 0.5, "c": 1.0, "d": -3, "e": 0.00001, "f": 1234567.5});
    assert_eq!(to_string(&doc), "a: 60000\nb: 0.5\nc: 1\nd: -3\ne: 1e-05\nf: 1.2345675e+06\n");
}

#[test]
fn keys_sort_as_yaml_v2_sorts_them() {
    let mut keys = vec!["ab", "a10", "a2", "a_b", "_format_version", "_info", "Z", "a"];
    keys.sort_by(|a, b| key_order(a, b));
    assert_eq!(keys, ["_format_version", "_info", "Z", "a", "a_b", "a2", "a10", "ab"]);
}

#[test]
fn scalars_written_whole_are_what_the_walk_writes() {
    // The shortcuts that write a scalar whole (nothing to fold before the best width, nothing to
    // escape) against the character walk, from columns around the fold and with lengths around it.
    let texts = ["a b", "word word word", "x", "it's a b", "say \"a b\"", "tab\there", "a  b c"];
    for start in [0, 40, 70, 78, 79, 80, 81, 82] {
        for pad in 0..12 {
            for text in texts {
                let s = format!("{}{text}", "y ".repeat(pad));
                let fresh = || Emitter { column: start, whitespace: true, indention: false, ..Emitter::new() };
                let (mut whole, mut walked) = (fresh(), fresh());
                whole.plain(&s, 2, true);
                walked.plain_units(s.as_bytes(), 2);
                assert_eq!(whole.out, walked.out, "plain {s:?} from {start}");
                type Whole = fn(&mut Emitter, &str, usize, bool);
                type Walk = fn(&mut Emitter, &[u8], usize, bool);
                let quoted: [(&str, Whole, Walk); 2] =
                    [("'", Emitter::single, Emitter::single_units), ("\"", Emitter::double, Emitter::double_units)];
                for (quote, whole_of, walk) in quoted {
                    let (mut whole, mut walked) = (fresh(), fresh());
                    whole_of(&mut whole, &s, 2, true);
                    walked.indicator(quote, true, false, false);
                    walk(&mut walked, s.as_bytes(), 2, true);
                    walked.indicator(quote, false, false, false);
                    assert_eq!(whole.out, walked.out, "{quote}-quoted {s:?} from {start}");
                }
            }
        }
    }
}

#[test]
fn every_word_read_as_another_type_is_quoted_and_within_the_longest() {
    assert_eq!(WORDS.iter().map(|w| w.len()).max(), Some(LONGEST_WORD));
    for word in WORDS.iter().filter(|w| !w.is_empty()) {
        assert_eq!(to_string(&json!({ "a": word })), format!("a: \"{word}\"\n"), "{word}");
    }
}
