//! kongsync-hash
