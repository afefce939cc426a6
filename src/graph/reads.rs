//! Which pages a piece of work read from the graph, for `serve`: a page's output can change
//! only when one of the pages its rendering read changes ([`super::Graph::shape`]), so a
//! change re-renders only the pages that read what it changed. Every query the graph
//! answers about a page notes that page here while a recording is on, on this thread.

use super::PageId;
use std::cell::RefCell;

thread_local! {
    static READ: RefCell<Option<Vec<u32>>> = const { RefCell::new(None) };
}

/// Notes that the work being recorded on this thread read page `id`.
#[inline]
pub(super) fn note(id: PageId) {
    READ.with(|read| {
        if let Some(read) = read.borrow_mut().as_mut() {
            read.push(id.0 as u32);
        }
    });
}

/// Runs `work` and returns what it returned with the pages it read, sorted, each once.
/// The work must not hand parts of itself to other threads.
pub(crate) fn recorded<R>(work: impl FnOnce() -> R) -> (R, Vec<u32>) {
    let outer = READ.with(|read| read.borrow_mut().replace(Vec::new()));
    let result = work();
    let mut pages = READ
        .with(|read| std::mem::replace(&mut *read.borrow_mut(), outer))
        .unwrap_or_default();
    pages.sort_unstable();
    pages.dedup();
    (result, pages)
}
