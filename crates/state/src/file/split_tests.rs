//! Tests of the split parse: wherever it answers, it answers what the whole parse does.

use super::*;
use crate::file::load::yaml_value as whole;

fn parse_pieces(text: &str, parts: usize) -> Option<Value> {
    super::parse_pieces(text, parts, &whole)
}

fn parse_in_parts(text: &str, parts: usize) -> Option<Value> {
    super::parse_in_parts(text, parts, &whole)
}

/// Checks every number of parts from 2 to 12: the split parse gives the whole parse's value or
/// nothing, and nothing when the whole parse fails. Returns how many numbers of parts it answered.
fn answers_as_the_whole(text: &str) -> usize {
    let expected = whole(text);
    let mut answered = 0;
    for parts in 2..=12 {
        if let Some(v) = parse_pieces(text, parts) {
            assert!(expected.is_some(), "parts {parts} read a text the whole parse refuses:\n{text}");
            assert_eq!(Some(&v), expected.as_ref(), "parts {parts}:\n{text}");
            answered += 1;
        }
    }
    answered
}

fn deck_file(services: usize) -> String {
    let mut t = String::from("# a comment\n_format_version: \"3.0\"\n_info:\n  select_tags: [team]\nservices:\n");
    for i in 0..services {
        t.push_str(&format!(
            "- name: s{i}\n  host: h{i}.internal\n  tags: [a, \"b{i}\"]\n  routes:\n  - name: r{i}\n    paths:\n    - /r{i}\n"
        ));
        if i % 4 == 0 {
            t.push_str("# between items\n\n");
        }
        if i % 5 == 0 {
            t.push_str(&format!("  plugins:\n  - name: cors\n    config: {{origins: ['*'], max_age: {i}}}\n"));
        }
    }
    t.push_str("consumers:\n");
    for i in 0..services / 2 {
        t.push_str(&format!("- username: u{i}\n  keyauth_credentials:\n  - key: 'k{i}'\n"));
    }
    t.push_str("certificates:\n");
    for i in 0..3 {
        t.push_str(&format!(
            "- cert: |\n    -----BEGIN {i}-----\n    AAA\n    -----END-----\n  key: |+\n    K{i}\n\n\n"
        ));
    }
    t.push_str("upstreams:\n- name: up\n  targets:\n  - target: 10.0.0.1:80\n");
    t
}

#[test]
fn a_deck_file_is_read_in_pieces_as_it_reads_whole() {
    for services in [1, 2, 3, 10, 40] {
        let text = deck_file(services);
        let answered = answers_as_the_whole(&text);
        if services >= 3 {
            assert_eq!(answered, 11, "every number of parts splits this file:\n{text}");
        }
    }
    let text = deck_file(40);
    let pieces = pieces(&text, 4).unwrap_or_default();
    assert!(pieces.len() >= 4, "{pieces:?}");
    assert!(pieces.iter().any(|p| p.items_of == Some("services")), "{pieces:?}");
    assert_eq!(pieces.iter().map(|p| p.text).collect::<String>(), text, "the pieces are the text, in order");
}

#[test]
fn what_the_pieces_cannot_read_as_the_whole_is_parsed_whole() {
    let services = "services:\n- name: a\n  host: h\n- name: b\n  host: h\n- name: c\n  host: h\n- name: d\n";
    let cases = [
        // An alias to an anchor in an earlier piece.
        "x: &shared\n  host: h\nservices:\n- name: a\n  <<: *shared\n- name: b\n  retries: *shared\n- name: c\n  host: *shared\n"
            .to_string(),
        // A key repeated in two pieces: the whole parse refuses it, with its place.
        format!("{services}consumers:\n- username: u\nservices:\n- name: z\n"),
        format!("{services}services: []\n"),
        // A quoted scalar whose lines run on at column 0.
        format!("{services}  path: \"/a\nb: c\n- d\"\nroutes:\n- name: r\n"),
        // A flow sequence across lines.
        format!("{services}routes: [\n{{name: r}},\nx: y,\n]\n"),
        // Documents and directives.
        format!("{services}---\nservices: []\n"),
        format!("%YAML 1.2\n---\n{services}"),
        format!("{services}...\n"),
        // A sequence at the root, and sequences that are not at column 0.
        "- a\n- b\n- c\n- d\n".to_string(),
        "services:\n  - name: a\n  - name: b\n  - name: c\nconsumers:\n  - username: u\n".to_string(),
        // Items right after their key, and a key with a value on its line.
        "a:\n- 1\nb: 2\nc:\n- 3\n- 4\nd: [5]\n".to_string(),
        // Tabs, carriage returns, a dash that is not an item.
        services.replace('\n', "\r\n"),
        format!("{services}-x: 1\n"),
        format!("{services}\tfoo: bar\n"),
    ];
    for text in &cases {
        answers_as_the_whole(text);
    }
    // The two that must not be read in pieces: the whole parse refuses them or reads them otherwise.
    assert_eq!(parse_pieces(&cases[0], 2).filter(|v| Some(v) != whole(&cases[0]).as_ref()), None);
    for parts in 2..=6 {
        assert_eq!(parse_pieces(&cases[1], parts), None, "a repeated key must reach the whole parse");
    }
}

#[test]
fn small_texts_are_left_to_the_whole_parse() {
    assert_eq!(parse_in_parts(&deck_file(40), 2), None);
    assert_eq!(parse_pieces(&deck_file(40), 1), None);
}

#[test]
fn a_large_file_is_read_in_pieces_as_it_reads_whole() {
    let text = deck_file(8_000);
    assert!(text.len() >= MIN_BYTES, "{} bytes", text.len());
    let split = parse_in_parts(&text, 3);
    assert!(split.is_some(), "this file is read in pieces");
    assert_eq!(split, whole(&text));
}
