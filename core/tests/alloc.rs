//! Evaluation never allocates, and its state has a fixed, bounded size.

use std::alloc::{GlobalAlloc, Layout, System};

mod common;

use misp_guard_core::{Evaluator, Guard, Policy, RequestInfo, RequestVerdict, Verdict};

struct Counting;

thread_local! {
    // Per thread: the test harness allocates on its own threads meanwhile.
    static ALLOCS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn allocs() -> usize {
    ALLOCS.with(|c| c.get())
}

fn count() {
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: forwards to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn no_allocation_while_evaluating_and_bounded_state() {
    let policy = common::policy();
    let insp = common::push(&policy);
    for (name, blocked) in [
        ("test_event_non-blocked.json", false),
        ("test_event_blocked_object_attribute_sharing_group.json", true),
        ("test_event_blocked_required_tag.json", false),
    ] {
        let body = std::fs::read(common::current("fixtures").join(name)).unwrap();
        // a big body: the same event's attributes repeated
        let before = allocs();
        let mut g = Guard::new(&policy, insp);
        for c in body.chunks(13) {
            g.feed(c);
        }
        let v = g.finish();
        let after = allocs();
        assert_eq!(after - before, 0, "{name} allocated");
        assert_eq!(!v.is_allow(), blocked, "{name}: {v:?}");
        drop(v);
    }
    // a guard that shares the policy (what the C ABI and nginx hold): taking and
    // dropping its reference count allocates nothing either
    let shared = std::sync::Arc::new(common::policy());
    let body = std::fs::read(common::current("fixtures/test_event_blocked_tags.json")).unwrap();
    let before = allocs();
    let mut g: Guard<'static> = Guard::new(std::sync::Arc::clone(&shared), insp);
    for c in body.chunks(13) {
        g.feed(c);
    }
    let v = g.finish();
    drop(g);
    assert_eq!(allocs() - before, 0, "a shared policy allocated");
    assert!(!v.is_allow(), "{v:?}");
    assert_eq!(std::sync::Arc::strong_count(&shared), 1, "the guard released its count");
    let size = std::mem::size_of::<Evaluator<'_>>();
    println!("size_of::<Evaluator>() = {size} bytes");
    assert!(size <= Evaluator::STATE_SIZE_BOUND, "{size}");
    // C callers place the evaluator in their own memory (`misp_guard_evaluator_init`):
    // word alignment is what `malloc` and a `uint64_t` array give them
    assert!(std::mem::align_of::<Evaluator<'_>>() <= 8);
    assert!(std::mem::align_of::<Guard<'_>>() <= 8);
    assert!(std::mem::size_of::<Guard<'_>>() <= Evaluator::STATE_SIZE_BOUND + 64);
    let _ = Verdict::Allow;
}

#[test]
fn compiled_rules_are_shareable_across_threads() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<Policy>();
    let policy = std::sync::Arc::new(common::policy());
    let body = std::fs::read(common::current("fixtures/test_event_blocked_tags.json")).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (p, b) = (policy.clone(), body.clone());
            std::thread::spawn(move || {
                let req = RequestInfo {
                    method: "POST",
                    path: "/events/add",
                    scheme: "https",
                    src_ip: "20.0.0.2",
                    dst_host: "instance1-comp2.com",
                    dst_port: 443,
                };
                let RequestVerdict::Allow(plan) = p.check_request(&req, &[]) else { panic!() };
                // the guard keeps its own count: it needs no borrow of `p`
                let mut g = Guard::new(p, plan.request.unwrap());
                g.feed(&b);
                g.finish().is_allow()
            })
        })
        .collect();
    for h in handles {
        assert!(!h.join().unwrap());
    }
}
