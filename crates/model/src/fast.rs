//! Hash maps for the indexes built over every entity of a state (pairs, ids, children, resolved
//! keys): they are probed several times per entity with keys of a few short strings, which
//! foldhash hashes several times faster than the standard library's SipHash. Their keys come from
//! the user's own files and gateway, not from an attacker choosing collisions, and nothing iterates
//! them into output, so their order never shows.

pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type FastSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
