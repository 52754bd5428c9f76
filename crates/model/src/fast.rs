//! Hash maps for the indexes built over every entity of a state (pairs, ids, children, resolved
//! keys): they are probed several times per entity with keys of a few short strings, which
//! foldhash hashes several times faster than the standard library's SipHash. Their keys come from
//! the user's own files and gateway, not from an attacker choosing collisions, and nothing iterates
//! them into output, so their order never shows.

pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type FastSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// A value borrowed from a state, compared and hashed by its address: an index that asks "this
/// entity?" spares a walk over its key, and the cache misses of reading it, on every probe.
#[derive(Debug)]
pub struct ByAddress<'a, T>(pub &'a T);

impl<T> Clone for ByAddress<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ByAddress<'_, T> {}

impl<T> PartialEq for ByAddress<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl<T> Eq for ByAddress<'_, T> {}

impl<T> std::hash::Hash for ByAddress<'_, T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.0, state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_at_two_addresses_are_two() {
        let (a, b) = (String::from("x"), String::from("x"));
        let set: FastSet<ByAddress<'_, String>> = [ByAddress(&a), ByAddress(&b), ByAddress(&a)].into_iter().collect();
        assert_eq!(set.len(), 2);
        assert!(set.contains(&ByAddress(&b)));
    }
}
