//! kongsync-apply
