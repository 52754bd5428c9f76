//! An entity's references: field name to the referenced entity's key, in field-name order.
//!
//! Most entities have one or two references and many have none. A `BTreeMap` holds even one in a
//! node of eleven slots (about a kilobyte with keys this size), which made references the largest
//! single cost of a state read from a gateway; a sorted vector holds as many as there are. The
//! methods are the map's, and it serializes as the same map.

use crate::Key;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// References by field name, sorted and unique by field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Refs(Vec<(String, Key)>);

impl Refs {
    pub fn new() -> Refs {
        Refs(Vec::new())
    }

    fn find(&self, field: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(f, _)| f.as_str().cmp(field))
    }

    pub fn get(&self, field: &str) -> Option<&Key> {
        self.find(field).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, field: &str) -> bool {
        self.find(field).is_ok()
    }

    /// Sets the reference of `field`; the one it replaces, if any.
    pub fn insert(&mut self, field: String, key: Key) -> Option<Key> {
        match self.find(&field) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, key)),
            Err(i) => {
                self.0.insert(i, (field, key));
                None
            }
        }
    }

    pub fn remove(&mut self, field: &str) -> Option<Key> {
        self.find(field).ok().map(|i| self.0.remove(i).1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &Key)> + ExactSizeIterator {
        self.0.iter().map(|(f, k)| (f, k))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.iter().map(|(f, _)| f)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Key> + ExactSizeIterator {
        self.0.iter().map(|(_, k)| k)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut Key> + ExactSizeIterator {
        self.0.iter_mut().map(|(_, k)| k)
    }

    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&String, &mut Key)> + ExactSizeIterator {
        self.0.iter_mut().map(|(f, k)| (&*f, k))
    }
}

impl FromIterator<(String, Key)> for Refs {
    fn from_iter<I: IntoIterator<Item = (String, Key)>>(items: I) -> Refs {
        let mut refs = Refs::new();
        refs.extend(items);
        refs
    }
}

impl Extend<(String, Key)> for Refs {
    fn extend<I: IntoIterator<Item = (String, Key)>>(&mut self, items: I) {
        for (field, key) in items {
            self.insert(field, key);
        }
    }
}

impl<const N: usize> From<[(String, Key); N]> for Refs {
    fn from(items: [(String, Key); N]) -> Refs {
        items.into_iter().collect()
    }
}

impl IntoIterator for Refs {
    type Item = (String, Key);
    type IntoIter = std::vec::IntoIter<(String, Key)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Refs {
    type Item = (&'a String, &'a Key);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (String, Key)>, fn(&'a (String, Key)) -> (&'a String, &'a Key)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(f, k)| (f, k))
    }
}

impl Serialize for Refs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Refs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Refs, D::Error> {
        BTreeMap::<String, Key>::deserialize(deserializer).map(|m| m.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Kind;

    fn svc(name: &str) -> Key {
        Key::name(Kind::Service, name)
    }

    /// The same answers as the map it replaces, whatever the order the references come in.
    #[test]
    fn it_behaves_as_the_sorted_map() {
        let items = [("service", "a"), ("consumer", "b"), ("route", "c"), ("consumer", "d")];
        let mut refs = Refs::new();
        let mut map = BTreeMap::new();
        for (f, n) in items {
            assert_eq!(refs.insert(f.to_string(), svc(n)), map.insert(f.to_string(), svc(n)));
        }
        assert!(refs.iter().eq(map.iter()));
        assert_eq!(refs.get("consumer"), map.get("consumer"));
        assert_eq!(refs.get("nope"), None);
        assert_eq!(refs.remove("route"), map.remove("route"));
        assert!(refs.keys().eq(map.keys()));
        assert_eq!(serde_json::to_string(&refs).ok(), serde_json::to_string(&map).ok());
        let back: Refs = serde_json::from_str(&serde_json::to_string(&map).unwrap_or_default()).unwrap_or_default();
        assert_eq!(back, refs);
    }
}
