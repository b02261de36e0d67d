//! How a guard holds its policy: borrowed, or shared through an `Arc`.

use core::ops::Deref;

use super::Policy;

/// The policy a [`Guard`](crate::Guard) judges with: borrowed for `'p` (no allocator
/// needed), or, with the `alloc` feature, a shared reference count that keeps the policy
/// alive for as long as the guard (what a C caller or an nginx worker needs: the guard
/// outlives any borrow they could name). Either way the guard reads the policy only.
///
/// `From` builds it from `&Policy` and `Arc<Policy>`, so `Guard::new(&policy, …)` and
/// `Guard::new(Arc::clone(&policy), …)` both work.
#[derive(Clone, Debug)]
pub enum PolicyRef<'p> {
    /// Borrowed from the caller.
    Borrowed(&'p Policy),
    /// Shared: the guard holds one reference count.
    #[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
    Shared(alloc::sync::Arc<Policy>),
}

impl Deref for PolicyRef<'_> {
    type Target = Policy;

    #[inline]
    fn deref(&self) -> &Policy {
        match self {
            PolicyRef::Borrowed(p) => p,
            #[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
            PolicyRef::Shared(p) => p,
        }
    }
}

impl<'p> From<&'p Policy> for PolicyRef<'p> {
    fn from(p: &'p Policy) -> Self {
        PolicyRef::Borrowed(p)
    }
}

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
impl From<alloc::sync::Arc<Policy>> for PolicyRef<'static> {
    fn from(p: alloc::sync::Arc<Policy>) -> Self {
        PolicyRef::Shared(p)
    }
}

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
impl<'p> From<&'p alloc::sync::Arc<Policy>> for PolicyRef<'p> {
    /// Borrows (no reference count taken).
    fn from(p: &'p alloc::sync::Arc<Policy>) -> Self {
        PolicyRef::Borrowed(p)
    }
}
