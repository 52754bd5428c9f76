//! The global allocator of kongsync's binaries: mimalloc for every block below 1 MiB, the C
//! library's allocator for larger ones.
//!
//! mimalloc is the faster allocator for the millions of small strings and maps a state is made of,
//! but it grows a large block by allocating a new one and copying: a vector that doubles up to
//! hundreds of MiB (the events of a YAML document, the entities of a state) is copied again at
//! every doubling, and each copy touches fresh pages. glibc maps every block above its mmap
//! threshold on its own and grows it with `mremap`, which moves page tables instead of bytes.
//! The threshold is fixed at the boundary, so that glibc does not raise it after a free and start
//! serving large blocks from its heap.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Once;

/// Blocks of this size and above go to the C library.
pub const LARGE: usize = 1 << 20;

/// mimalloc below [`LARGE`], the C library's allocator from it.
pub struct Allocator;

static THRESHOLD: Once = Once::new();

fn system() -> &'static System {
    THRESHOLD.call_once(|| {
        // SAFETY: mallopt only sets a tuning parameter; it is called once, before the first large
        // block. Its result is ignored: glibc's default threshold is only less exact.
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE as libc::c_int);
        }
    });
    &System
}

fn is_large(size: usize) -> bool {
    size >= LARGE
}

/// The allocator that owns a block of this size.
fn owner(size: usize) -> &'static dyn GlobalAlloc {
    if is_large(size) {
        system()
    } else {
        &mimalloc::MiMalloc
    }
}

// SAFETY: every block is freed, grown or shrunk by the allocator that made it, which the size in
// its layout names; a block that crosses the boundary is moved by hand.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees on the layout are passed on unchanged.
        unsafe { owner(layout.size()).alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe { owner(layout.size()).alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the block was made by the owner of its size, which the layout still gives.
        unsafe { owner(layout.size()).dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if is_large(layout.size()) == is_large(new_size) {
            // SAFETY: the same owner made the block and keeps it at its new size.
            return unsafe { owner(layout.size()).realloc(ptr, layout, new_size) };
        }
        // SAFETY: the caller guarantees that new_size is non-zero and does not overflow once
        // rounded up to the alignment; the old block holds layout.size() bytes, the new one
        // new_size, and the two are distinct blocks.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new = self.alloc(new_layout);
            if !new.is_null() {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A block that grows across the boundary and back keeps its bytes, and each size is freed
    /// by its owner (a wrong owner aborts the test process).
    #[test]
    fn blocks_keep_their_bytes_across_the_boundary() {
        let a = Allocator;
        let small = Layout::from_size_align(LARGE / 2, 8).unwrap_or(Layout::new::<u64>());
        // SAFETY: the layouts are non-zero; every pointer is checked and freed once with the
        // layout it has.
        unsafe {
            let p = a.alloc(small);
            assert!(!p.is_null());
            p.write_bytes(7, small.size());
            let big = a.realloc(p, small, LARGE * 3);
            assert!(!big.is_null());
            assert_eq!(*big.add(small.size() - 1), 7);
            big.add(small.size()).write_bytes(9, LARGE * 3 - small.size());
            let bigger_layout = Layout::from_size_align_unchecked(LARGE * 3, 8);
            let bigger = a.realloc(big, bigger_layout, LARGE * 8);
            assert!(!bigger.is_null());
            assert_eq!(*bigger, 7);
            assert_eq!(*bigger.add(LARGE * 3 - 1), 9);
            let back = a.realloc(bigger, Layout::from_size_align_unchecked(LARGE * 8, 8), 64);
            assert!(!back.is_null());
            assert_eq!(*back.add(63), 7);
            a.dealloc(back, Layout::from_size_align_unchecked(64, 8));
        }
    }
}
