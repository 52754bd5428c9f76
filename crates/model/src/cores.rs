//! Work that is the same for every entity, split over the machine's cores: the plan's comparisons
//! and the files' per-entity validation are each most of their phase, and one core would leave the
//! other idle.

use std::thread;

/// How many parts to split such work into: one per core, at most eight (beyond that the threads'
/// start and the joining of their results cost more than the parts save at these sizes).
pub fn cores() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get()).min(8)
}

/// How many parts to cut work of uneven cost into: four a core, so that a part that costs more than
/// the others does not leave the other cores idle while it finishes.
pub fn uneven_parts() -> usize {
    4 * cores()
}

/// Runs `work` on every part, the first on this thread and each other one on a thread of its own,
/// and gives the results in the parts' order. A panic in a part is raised again here, never turned
/// into a result.
pub fn on_cores<P: Send, R: Send>(parts: impl IntoIterator<Item = P>, work: impl Fn(P) -> R + Sync) -> Vec<R> {
    let mut parts = parts.into_iter();
    let Some(first) = parts.next() else { return Vec::new() };
    let work = &work;
    thread::scope(|scope| {
        let others: Vec<_> = parts.map(|part| scope.spawn(move || work(part))).collect();
        let mut results = Vec::with_capacity(others.len() + 1);
        results.push(work(first));
        results.extend(others.into_iter().map(joined));
        results
    })
}

/// A scoped thread's result. A panic in it is a bug: it is raised again here, never turned into a
/// result.
pub fn joined<T>(handle: thread::ScopedJoinHandle<'_, T>) -> T {
    handle.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_the_parts_order_and_each_part_is_worked_once() {
        let items: Vec<u32> = (0..10_000).collect();
        let sums = on_cores(items.chunks(1_000), |part| (part[0], part.iter().map(|&x| u64::from(x)).sum::<u64>()));
        assert_eq!(sums.len(), 10);
        assert!(sums.windows(2).all(|w| w[0].0 < w[1].0), "{sums:?}");
        assert_eq!(sums.iter().map(|s| s.1).sum::<u64>(), (0..10_000u64).sum::<u64>());
        assert!(on_cores(Vec::<u32>::new(), |x| x).is_empty());
    }

    #[test]
    fn parts_may_be_changed_in_place() {
        let mut items = vec![1u32; 5_000];
        let counts = on_cores(items.chunks_mut(700), |part| {
            part.iter_mut().for_each(|x| *x *= 3);
            part.len()
        });
        assert_eq!(counts.iter().sum::<usize>(), 5_000);
        assert!(items.iter().all(|&x| x == 3));
    }

    #[test]
    fn a_panic_in_another_part_is_raised_here() {
        let caught = std::panic::catch_unwind(|| on_cores([0, 1, 2], |i| assert_ne!(i, 2, "part {i}")));
        assert!(caught.is_err());
    }
}
