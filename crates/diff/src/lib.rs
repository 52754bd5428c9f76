//! kongsync-diff
