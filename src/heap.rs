//! glibc heap tuning around the load stage (Linux with glibc only; elsewhere nothing).
//!
//! Huge pages: the kernel here gives transparent huge pages only to memory that asks for
//! them, and where a run keeps page texts (`build`), they fill hundreds of megabytes of heap.
//! Asked for, that memory faults in 2 MiB at a time instead of 4 KiB: loading 100k pages with
//! their texts took 106k page faults instead of 308k. See [`advise_huge_pages`].
//!
//! While a vault loads, every page leaves its text and parse behind, so each thread's heap
//! keeps growing, and glibc grows a thread's heap by the pages one request needs: one
//! `mprotect` call each time, over 100k calls for a 100k-page vault. With a top pad of a whole
//! heap (64 MiB), a new heap is usable at once and grows no more. The pad also keeps that much
//! freed memory per heap instead of returning it, which later stages would pay for in peak
//! memory, so it is set back to glibc's default once loading is done.

/// glibc's default top pad.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const DEFAULT_TOP_PAD: i32 = 128 << 10;

/// The size of a glibc thread heap on 64-bit targets.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const LOAD_TOP_PAD: i32 = 64 << 20;

/// Before loading: grow heaps a whole heap at a time.
pub fn before_load() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    set_top_pad(LOAD_TOP_PAD);
}

/// After loading: back to glibc's default growth and trimming.
pub fn after_load() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    set_top_pad(DEFAULT_TOP_PAD);
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_top_pad(bytes: i32) {
    // SAFETY: mallopt only sets an allocator parameter. glibc marks it unsafe only while
    // malloc initialises, which the runtime's allocations finished before `main`.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, bytes);
    }
}

/// A glibc thread heap's size and alignment on 64-bit targets (`HEAP_MAX_SIZE`).
#[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
const THREAD_HEAP: usize = 64 << 20;

/// Asks for huge pages for the glibc thread heap that holds `block`, a block just allocated
/// for long-lived data, once per heap and thread.
///
/// glibc places each thread heap at a multiple of its size, so the heap holding a block
/// starts at the block's address rounded down to that size. The advice is a hint about page
/// size only: where a block lies elsewhere (the main heap, its own mapping), the kernel
/// applies it to whatever memory is mapped there and nothing but page sizes can change.
pub fn advise_huge_pages(block: *const u8) {
    #[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
    {
        use std::cell::Cell;
        thread_local! {
            static ADVISED: Cell<usize> = const { Cell::new(0) };
        }
        let heap = block as usize & !(THREAD_HEAP - 1);
        if heap != 0 && ADVISED.get() != heap {
            ADVISED.set(heap);
            // SAFETY: madvise with MADV_HUGEPAGE reads and writes no memory; it only marks
            // the mappings in the range. Unmapped parts make it fail, which is ignored.
            unsafe {
                libc::madvise(heap as *mut libc::c_void, THREAD_HEAP, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64")))]
    let _ = block;
}
