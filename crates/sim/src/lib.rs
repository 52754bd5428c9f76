//! kongsync-sim
