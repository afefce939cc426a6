//! glibc heap tuning around the load stage (Linux with glibc only; elsewhere nothing).
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
