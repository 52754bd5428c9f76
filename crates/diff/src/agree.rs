//! A quick "these two sides are the same" for the pairs that are, which is nearly all of them.
//!
//! Building the comparable form of both sides (`prepare::comparable`) copies every field of both
//! entities, fills every default and sorts every set, only to find them equal. This walk reads both
//! entities where they lie instead: a field the file leaves out is read as its schema default, and
//! nulls, empty lists and integral floats are read as the comparable form reads them. Where that form
//! does something the walk does not follow (a cross-field rewrite, an ignored field, a set of two or
//! more values that are not the same list, a default list of records, which Kong fills but the
//! comparable form does not) the walk answers `false`, which means "not known": the caller then
//! builds the comparable forms. `true` must mean the comparable forms are equal; the property test
//! below holds the walk to that on generated entities.

use crate::canonical::same_number;
use crate::merge::by_name;
use crate::options::IgnoreField;
use crate::prepare::SPECIAL;
use kongsync_model::{Entity, FieldSpec, FieldType, Kind, Schema, SchemaSet};
use serde_json::{Map, Value};

/// Whether the comparable forms of the two sides are certainly equal (`false`: not known).
pub(crate) fn agree(desired: &Entity, live: &Entity, schemas: &SchemaSet, ignore: &[IgnoreField]) -> bool {
    let kind = desired.kind();
    if kind != live.kind()
        // A client secret may be held hashed, and is compared by its own rule.
        || kind == Kind::Oauth2
        || ignore.iter().any(|f| f.kind == kind)
        || rewritten(desired, live)
        || (kind == Kind::Plugin && desired.str_field("name") != live.str_field("name"))
    {
        return false;
    }
    let mut schemas = schemas.of_entity(desired);
    let top = [schemas.next(), schemas.next()];
    let skipped = |name: &str| {
        kind.references().iter().any(|r| r.field == name)
            || kind.def().computed.contains(&name)
            || SPECIAL.iter().any(|(k, f)| *k == kind && *f == name)
    };
    union(&desired.fields, &live.fields).all(|(name, d, l)| {
        skipped(name) || fields_agree(Chain(top.map(|s| s.and_then(|s: &Schema| s.field(name)))), d, l)
    })
}

/// Whether a rewrite that reads several fields applies to either side (`SchemaSet::with_defaults`):
/// a gRPC route's `strip_path`, the upstream shorthands on the file's side.
fn rewritten(desired: &Entity, live: &Entity) -> bool {
    match desired.kind() {
        Kind::Route => {
            let grpc = |e: &Entity| {
                e.fields
                    .get("protocols")
                    .and_then(Value::as_array)
                    .is_some_and(|p| p.iter().any(|v| matches!(v.as_str(), Some("grpc" | "grpcs"))))
            };
            grpc(desired) || grpc(live)
        }
        Kind::Upstream => {
            desired.fields.contains_key("hash_on")
                || matches!(desired.str_field("algorithm"), Some("least-connections" | "latency"))
        }
        _ => false,
    }
}

/// The specs a field has in the schemas an entity follows, in their order (a plugin's own schema,
/// then the plugins schema): fills and canonical rules apply in that order.
#[derive(Clone, Copy)]
struct Chain<'s>([Option<&'s FieldSpec>; 2]);

impl<'s> Chain<'s> {
    fn specs(self) -> impl Iterator<Item = &'s FieldSpec> {
        self.0.into_iter().flatten()
    }

    fn is(self, ty: FieldType) -> bool {
        self.specs().any(|s| s.ty == ty)
    }

    /// Whether a present object is filled and canonicalized field by field.
    fn is_record(self) -> bool {
        self.specs().any(|s| s.ty == FieldType::Record && !s.fields.is_empty())
    }

    /// The specs of a record's field, from each record spec.
    fn field(self, name: &str) -> Chain<'s> {
        let of = |s: Option<&'s FieldSpec>| {
            s.filter(|s| s.ty == FieldType::Record)
                .and_then(|s| s.fields.iter().find(|f| f.name == name))
                .map(|f| &f.spec)
        };
        Chain(self.0.map(of))
    }

    /// The specs of an array's or set's elements.
    fn elements(self) -> Chain<'s> {
        Chain(self.0.map(|s| s.and_then(|s| s.elements.as_deref())))
    }
}

/// A field as the comparable form holds it, before its own rules.
#[derive(Clone, Copy)]
enum Held<'a> {
    /// Not there: absent without a default, null, or an empty list or object.
    Gone,
    /// A value; `defaulted` when it is the schema's default, which Kong fills only where it is an
    /// object.
    Value { value: &'a Value, defaulted: bool },
    /// A required record the side leaves out: filled from its fields' defaults.
    EmptyRecord,
}

fn fields_agree(chain: Chain<'_>, d: Option<&Value>, l: Option<&Value>) -> bool {
    // The same input goes the same way.
    if d == l {
        return true;
    }
    match (held(chain, d), held(chain, l)) {
        (Some(Held::Gone), Some(Held::Gone)) => true,
        (Some(Held::Gone), _) | (_, Some(Held::Gone)) | (None, _) | (_, None) => false,
        (Some(d), Some(l)) => held_agree(chain, d, l),
    }
}

/// How a field is held; `None` when the walk does not follow its default.
fn held<'a>(chain: Chain<'a>, v: Option<&'a Value>) -> Option<Held<'a>> {
    let Some(v) = v else {
        let mut specs = chain.specs();
        let Some(first) = specs.next() else { return Some(Held::Gone) };
        let fills = |s: &FieldSpec| s.default.is_some() || (s.ty == FieldType::Record && s.required);
        return match &first.default {
            Some(default) => Some(present(chain, default, true)),
            // Filled from no fields, it is an empty object, which is dropped.
            None if first.ty == FieldType::Record && first.required && !chain.is_record() => Some(Held::Gone),
            None if first.ty == FieldType::Record && first.required => Some(Held::EmptyRecord),
            // A later schema's default would fill it, after the first schema's fills.
            None if specs.any(fills) => None,
            None => Some(Held::Gone),
        };
    };
    Some(present(chain, v, false))
}

fn present<'a>(chain: Chain<'_>, value: &'a Value, defaulted: bool) -> Held<'a> {
    match value {
        Value::Null => Held::Gone,
        Value::Array(a) if a.is_empty() => Held::Gone,
        Value::Object(o) if o.is_empty() && !chain.is_record() => Held::Gone,
        _ => Held::Value { value, defaulted },
    }
}

fn held_agree(chain: Chain<'_>, d: Held<'_>, l: Held<'_>) -> bool {
    let empty = Map::new();
    let (d, d_default) = match d {
        Held::Value { value, defaulted } => (value, defaulted),
        Held::EmptyRecord => {
            return matches!(l, Held::Value { value: Value::Object(l), .. } if records_agree(chain, &empty, l))
        }
        Held::Gone => return matches!(l, Held::Gone),
    };
    let (l, l_default) = match l {
        Held::Value { value, defaulted } => (value, defaulted),
        Held::EmptyRecord => return matches!(d, Value::Object(d) if records_agree(chain, d, &empty)),
        Held::Gone => return false,
    };
    values_agree(chain, d, l, d_default || l_default)
}

/// Two values (not gone) in one place; `defaulted` when either is a default, whose list of records
/// Kong fills and the comparable form does not.
fn values_agree(chain: Chain<'_>, d: &Value, l: &Value, defaulted: bool) -> bool {
    let unfilled = defaulted && chain.elements().is_record();
    if d == l && !unfilled {
        return true;
    }
    match (d, l) {
        (Value::Number(a), Value::Number(b)) => same_number(a, b),
        (Value::Object(a), Value::Object(b)) => chain.is_record() && records_agree(chain, a, b),
        (Value::Array(a), Value::Array(b)) => {
            // A set is sorted by the text of its values: only one value on each side needs no sort.
            let sorted = chain.is(FieldType::Set) && (a.len() > 1 || b.len() > 1);
            !sorted
                && !unfilled
                && a.len() == b.len()
                && a.iter().zip(b).all(|(a, b)| values_agree(chain.elements(), a, b, false))
        }
        _ => false,
    }
}

fn records_agree(chain: Chain<'_>, d: &Map<String, Value>, l: &Map<String, Value>) -> bool {
    union(d, l).all(|(name, d, l)| fields_agree(chain.field(name), d, l))
}

/// The names of two objects in order, each with its value on either side.
fn union<'a>(
    d: &'a Map<String, Value>,
    l: &'a Map<String, Value>,
) -> impl Iterator<Item = (&'a str, Option<&'a Value>, Option<&'a Value>)> {
    by_name(d.iter().map(|(k, v)| (k.as_str(), v)), l.iter().map(|(k, v)| (k.as_str(), v)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::prepare::{comparable, Side};
    use kongsync_model::{Field, Key};
    use serde_json::json;

    /// A small deterministic generator (xorshift64*), so that a failure reproduces.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
        }

        fn pick(&mut self, from: &[Value]) -> Value {
            from[self.below(from.len())].clone()
        }
    }

    /// A value for a spec, from a small domain so that the two sides often meet.
    fn value(rng: &mut Rng, spec: Option<&FieldSpec>, depth: usize) -> Value {
        let ty = spec.map_or(FieldType::Any, |s| s.ty);
        match ty {
            FieldType::String => {
                let mut choices = vec![json!("a"), json!("b"), json!("https")];
                choices.extend(spec.and_then(|s| s.one_of.clone()).unwrap_or_default());
                rng.pick(&choices)
            }
            FieldType::Integer => rng.pick(&[json!(0), json!(1), json!(1.0), json!(2)]),
            FieldType::Number => rng.pick(&[json!(0), json!(1), json!(1.0), json!(2.5)]),
            FieldType::Boolean => rng.pick(&[json!(true), json!(false)]),
            FieldType::Array | FieldType::Set => {
                let elements = spec.and_then(|s| s.elements.as_deref());
                Value::Array((0..rng.below(4)).map(|_| value(rng, elements, depth + 1)).collect())
            }
            FieldType::Map => {
                let values = spec.and_then(|s| s.values.as_deref());
                let mut m = Map::new();
                for k in ["k", "j"].iter().take(rng.below(3)) {
                    m.insert((*k).into(), value(rng, values, depth + 1));
                }
                Value::Object(m)
            }
            FieldType::Record => Value::Object(fields(rng, spec.map_or(&[], |s| &s.fields), depth + 1)),
            FieldType::Foreign => json!({"id": "x"}),
            FieldType::Any if depth < 3 => match rng.below(4) {
                0 => json!([1, "a"]),
                1 => json!({"k": null, "j": 1.0}),
                _ => rng.pick(&[json!(1), json!("a"), Value::Null]),
            },
            FieldType::Any => json!("a"),
        }
    }

    /// One side's fields: each absent, null, its default or another value; now and then one no
    /// schema knows.
    fn fields(rng: &mut Rng, specs: &[Field], depth: usize) -> Map<String, Value> {
        let mut out = Map::new();
        for f in specs {
            let v = match rng.below(10) {
                0..=2 => continue,
                3 => Value::Null,
                4 | 5 => f.spec.default.clone().unwrap_or_else(|| value(rng, Some(&f.spec), depth)),
                _ => value(rng, Some(&f.spec), depth),
            };
            out.insert(f.name.clone(), v);
        }
        if rng.below(8) == 0 {
            out.insert("zz_unknown".into(), value(rng, None, depth));
        }
        out
    }

    /// The other side of a field: mostly the same or written another way that means the same, now
    /// and then something else.
    fn variant(rng: &mut Rng, spec: Option<&FieldSpec>, v: Option<&Value>, depth: usize) -> Option<Value> {
        match rng.below(12) {
            0 => None,
            1 => Some(Value::Null),
            2 => spec.and_then(|s| s.default.clone()),
            3 => Some(value(rng, spec, depth)),
            4 => match v {
                Some(Value::Number(n)) => n.as_f64().map(|f| json!(f)),
                Some(Value::Array(a)) => Some(Value::Array(a.iter().rev().cloned().collect())),
                Some(Value::Object(_)) => Some(json!({})),
                None => Some(json!([])),
                other => other.cloned(),
            },
            _ => match (v, spec) {
                (Some(Value::Object(m)), Some(s)) if s.ty == FieldType::Record => {
                    Some(Value::Object(variants(rng, &s.fields, m, depth + 1)))
                }
                (Some(Value::Array(a)), Some(s)) if rng.below(2) == 0 => {
                    let el = s.elements.as_deref();
                    let items: Vec<Value> =
                        a.iter().map(|i| variant(rng, el, Some(i), depth + 1).unwrap_or(Value::Null)).collect();
                    Some(Value::Array(items))
                }
                _ => v.cloned(),
            },
        }
    }

    fn variants(rng: &mut Rng, specs: &[Field], of: &Map<String, Value>, depth: usize) -> Map<String, Value> {
        let mut out = Map::new();
        let mut names: Vec<&str> = specs.iter().map(|f| f.name.as_str()).collect();
        names.extend(of.keys().map(String::as_str));
        names.sort_unstable();
        names.dedup();
        for name in names {
            let spec = specs.iter().find(|f| f.name == name).map(|f| &f.spec);
            if let Some(v) = variant(rng, spec, of.get(name), depth) {
                out.insert(name.to_string(), v);
            }
        }
        out
    }

    fn entity(kind: Kind, fields: Map<String, Value>) -> Entity {
        Entity { key: Key::name(kind, "x"), id: None, fields, refs: Default::default() }
    }

    /// Every kind, and the plugins schema once per bundled plugin.
    fn shapes() -> Vec<(Kind, Option<&'static str>)> {
        let mut out: Vec<(Kind, Option<&str>)> =
            Kind::ALL.iter().filter(|k| **k != Kind::Plugin).map(|k| (*k, None)).collect();
        out.extend(kongsync_model::known_plugins().map(|p| (Kind::Plugin, Some(p))));
        out
    }

    fn specs_of(schemas: &SchemaSet, kind: Kind, plugin: Option<&str>) -> Vec<Field> {
        let mut specs = schemas.entity(kind).fields.clone();
        if let Some(p) = plugin.and_then(|p| schemas.plugin(p)) {
            specs.extend(p.fields.iter().cloned());
        }
        specs
    }

    /// Whether a spec, or one inside it, has a default list of records.
    fn default_records(spec: &FieldSpec) -> bool {
        let list = spec.elements.as_deref().is_some_and(|e| e.ty == FieldType::Record);
        (list && spec.default.as_ref().is_some_and(|d| d.as_array().is_some_and(|a| !a.is_empty())))
            || spec.fields.iter().any(|f| default_records(&f.spec))
    }

    /// The walk's `true` is the comparable forms' equality, on many generated pairs of every shape,
    /// with Kong's schemas and with Konnect's.
    #[test]
    fn agreeing_sides_have_equal_comparable_forms() {
        agreement_holds(&SchemaSet::builtin(), 0x9e37_79b9_7f4a_7c15);
        agreement_holds(&SchemaSet::builtin_konnect(), 0x2545_f491_4f6c_dd1d);
    }

    fn agreement_holds(schemas: &SchemaSet, seed: u64) {
        let mut rng = Rng(seed);
        let (mut agreed, mut agreed_unlike, mut equal) = (0, 0, 0);
        let shapes = shapes();
        for case in 0..30_000 {
            let (kind, plugin) = shapes[case % shapes.len()];
            let specs = specs_of(schemas, kind, plugin);
            let mut d = fields(&mut rng, &specs, 0);
            let mut l = variants(&mut rng, &specs, &d, 0);
            if let Some(p) = plugin {
                d.insert("name".into(), json!(p));
                l.insert("name".into(), json!(p));
            }
            let (d, l) = (entity(kind, d), entity(kind, l));
            let same = comparable(&d, Side::Desired, schemas, &[]) == comparable(&l, Side::Live, schemas, &[]);
            equal += usize::from(same);
            if agree(&d, &l, schemas, &[]) {
                agreed += 1;
                agreed_unlike += usize::from(d.fields != l.fields);
                assert!(same, "case {case}: the walk agrees, the comparable forms differ:\n{d:?}\n{l:?}");
            }
        }
        eprintln!("{agreed} agreed ({agreed_unlike} written differently) of {equal} equal");
        // The property must not hold by the walk never agreeing.
        assert!(agreed * 10 > equal * 7, "{agreed} of {equal} equal pairs found");
        assert!(agreed_unlike > 3_000, "{agreed_unlike} agreements of sides written differently");
    }

    /// What Kong answers for an entity (every default filled, null for every field it has no value
    /// for) agrees with the file's short form, for every kind and bundled plugin: the walk is the
    /// plan's common case, not a rare one.
    #[test]
    fn what_kong_answers_agrees_with_the_short_file_entity() {
        let schemas = SchemaSet::builtin();
        // An oauth2 credential's secret may be held hashed, and a default list of records is filled
        // on one side only: those take the comparable form.
        let followed = |(kind, plugin): &(Kind, Option<&str>)| {
            *kind != Kind::Oauth2 && !specs_of(&schemas, *kind, *plugin).iter().any(|f| default_records(&f.spec))
        };
        let shapes: Vec<_> = shapes().into_iter().filter(followed).collect();
        assert!(shapes.len() > 50, "{} shapes followed", shapes.len());
        for (kind, plugin) in shapes {
            let mut short = Map::new();
            if let Some(p) = plugin {
                short.insert("name".into(), json!(p));
            }
            let desired = entity(kind, short);
            let mut answered = schemas.with_defaults(&desired);
            for f in specs_of(&schemas, kind, plugin) {
                answered.entry(f.name).or_insert(Value::Null);
            }
            let live = entity(kind, answered);
            assert!(agree(&desired, &live, &schemas, &[]), "{kind} {plugin:?}");
        }
    }

    /// Cases of the comparable form too rare in Kong's schemas for the generator to meet, on a
    /// schema made for them. Each pair differs there, so the walk must not agree.
    #[test]
    fn rare_rules_of_the_comparable_form_are_followed() {
        let schema = Schema::from_kong_json(&json!({"fields": [
            {"codes": {"type": "set", "elements": {"type": "integer"}}},
            {"rules": {"type": "array", "default": [{"a": 1}], "elements": {"type": "record", "fields": [
                {"a": {"type": "integer"}}, {"b": {"type": "integer", "default": 2}}
            ]}}}
        ]}))
        .unwrap();
        let schemas = SchemaSet { entities: [(Kind::Service, schema)].into(), plugins: Default::default() };
        let service = |fields: Value| entity(Kind::Service, fields.as_object().unwrap().clone());
        let pairs = [
            // A set drops duplicates by their text before `1.0` is read as `1`.
            (service(json!({"codes": [1.0, 1]})), service(json!({"codes": [1, 1]}))),
            // A default list of records is not filled; the same list given is.
            (service(json!({})), service(json!({"rules": [{"a": 1}]}))),
        ];
        for (d, l) in &pairs {
            assert_ne!(comparable(d, Side::Desired, &schemas, &[]), comparable(l, Side::Live, &schemas, &[]));
            assert!(!agree(d, l, &schemas, &[]), "{d:?} {l:?}");
        }
    }

    #[test]
    fn what_the_walk_does_not_follow_is_left_to_the_comparable_form() {
        let schemas = SchemaSet::builtin();
        let route =
            |protocols: Value| entity(Kind::Route, json!({"protocols": protocols}).as_object().unwrap().clone());
        let grpc = route(json!(["grpc"]));
        assert!(!agree(&grpc, &grpc.clone(), &schemas, &[]), "a gRPC route's strip_path is rewritten");
        let sets = (route(json!(["http", "https"])), route(json!(["https", "http"])));
        assert!(!agree(&sets.0, &sets.1, &schemas, &[]), "a set of two in another order is sorted first");
        assert!(agree(&sets.0, &sets.0.clone(), &schemas, &[]));
        let ignore = [IgnoreField::parse("route.paths").unwrap()];
        assert!(!agree(&sets.0, &sets.0.clone(), &schemas, &ignore), "an ignored field may leave an empty record");
        let numbers = |n: Value| entity(Kind::Service, json!({"port": n}).as_object().unwrap().clone());
        assert!(agree(&numbers(json!(80)), &numbers(json!(80.0)), &schemas, &[]));
        assert!(!agree(&numbers(json!(80)), &numbers(json!(81)), &schemas, &[]));
    }
}
