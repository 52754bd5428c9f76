//! Walking a dependency graph with a bounded number of tasks in flight.
//!
//! A task starts as soon as every task it depends on is done — not when a whole kind or level is
//! done — and never more than `parallelism` run at once. When a task fails, everything that depends
//! on it, directly or not, is skipped and names that failure as its root cause; independent tasks go
//! on, unless `fail_fast` asks to stop starting new ones. A stop signal (Ctrl-C) likewise stops
//! starting new tasks and waits for those in flight. Among ready tasks the lowest index starts first,
//! so a walk of a plan follows the plan's own order as far as the dependencies allow.
//!
//! Some tasks are *gated* (a plan's deletes: the one step that cannot be undone). A gated task, and
//! anything that waits for one, starts only once every task that does not wait for a gated one has
//! succeeded; after any failure none of them starts and each is reported as held back. So a delete
//! never runs next to a failed create, whether the delete replaces it or frees the name it takes.

use futures::stream::{FuturesUnordered, StreamExt};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use tokio::sync::watch;

/// What became of one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome<E> {
    Done,
    Failed(E),
    /// Not run because the task with this index (a root cause) failed.
    Skipped {
        root: usize,
    },
    /// Not run because the walk was stopped (fail-fast or a stop signal).
    NotStarted,
    /// A gated task, or one waiting for a gated task, not run because another task failed.
    HeldBack,
}

/// Options of a walk.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WalkOptions {
    pub parallelism: usize,
    pub fail_fast: bool,
}

/// Runs `run(i)` for every task `i` of `deps` (where `deps[i]` lists the tasks `i` waits for, each
/// with a lower or higher index, the graph being acyclic) and returns each task's outcome.
/// `gated[i]` marks the gated tasks (see the module comment); missing entries are not gated.
/// `on_finish(i, &outcome)` is called as each task finishes (for progress).
pub(crate) async fn walk<E, F, Fut>(
    deps: &[Vec<usize>],
    gated: &[bool],
    options: WalkOptions,
    mut stop: watch::Receiver<bool>,
    run: F,
    mut on_finish: impl FnMut(usize, &Outcome<E>),
) -> Vec<Outcome<E>>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Clone,
{
    let n = deps.len();
    let mut dependents = vec![Vec::new(); n];
    let mut waiting: Vec<usize> = vec![0; n];
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            if d < n && d != i {
                dependents[d].push(i);
                waiting[i] += 1;
            }
        }
    }
    let tainted = tainted_by_gates(gated, &dependents, &waiting);
    // Tasks not waiting for a gated one and not settled yet: the gated ones start when it is zero.
    let mut ungated_left = tainted.iter().filter(|&&t| !t).count();
    let mut failed_any = false;
    let mut outcomes: Vec<Option<Outcome<E>>> = vec![None; n];
    let mut ready: BinaryHeap<Reverse<usize>> = (0..n).filter(|&i| waiting[i] == 0).map(Reverse).collect();
    let mut held: BinaryHeap<Reverse<usize>> = BinaryHeap::new();
    let mut in_flight = FuturesUnordered::new();
    let mut stopping = false;
    // Once every sender is gone nobody can ask to stop any more, and the channel must not be polled
    // again: a closed channel is always ready.
    let mut listening = true;
    let parallelism = options.parallelism.max(1);
    loop {
        stopping |= *stop.borrow();
        if !failed_any && ungated_left == 0 {
            ready.extend(held.drain());
        }
        while !stopping && in_flight.len() < parallelism {
            let Some(Reverse(i)) = ready.pop() else { break };
            if tainted[i] && (failed_any || ungated_left > 0) {
                if !failed_any {
                    held.push(Reverse(i));
                }
                continue;
            }
            let fut = run(i);
            in_flight.push(async move { (i, fut.await) });
        }
        if in_flight.is_empty() {
            break;
        }
        let finished = tokio::select! {
            biased;
            next = in_flight.next() => next,
            changed = stop.changed(), if listening && !stopping => {
                match changed {
                    Ok(()) => stopping = *stop.borrow(),
                    Err(_) => listening = false,
                }
                continue;
            }
        };
        let Some((i, result)) = finished else { break };
        if !tainted[i] {
            ungated_left -= 1;
        }
        match result {
            Ok(()) => {
                for &d in &dependents[i] {
                    waiting[d] -= 1;
                    if waiting[d] == 0 && outcomes[d].is_none() {
                        ready.push(Reverse(d));
                    }
                }
                let outcome = Outcome::Done;
                on_finish(i, &outcome);
                outcomes[i] = Some(outcome);
            }
            Err(e) => {
                let outcome = Outcome::Failed(e);
                on_finish(i, &outcome);
                outcomes[i] = Some(outcome);
                failed_any = true;
                ungated_left -= skip_dependents(i, &dependents, &tainted, &mut outcomes, &mut on_finish);
                stopping |= options.fail_fast;
            }
        }
    }
    outcomes
        .into_iter()
        .enumerate()
        .map(|(i, o)| match o {
            Some(o) => o,
            None if failed_any && tainted[i] => {
                on_finish(i, &Outcome::HeldBack);
                Outcome::HeldBack
            }
            None => Outcome::NotStarted,
        })
        .collect()
}

/// Marks each task that is gated or waits, directly or not, for a gated one, visiting the tasks in
/// dependency order (the graph is acyclic).
fn tainted_by_gates(gated: &[bool], dependents: &[Vec<usize>], waiting: &[usize]) -> Vec<bool> {
    let n = dependents.len();
    let mut tainted: Vec<bool> = (0..n).map(|i| gated.get(i).copied().unwrap_or(false)).collect();
    let mut waiting = waiting.to_vec();
    let mut queue: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    while let Some(i) = queue.pop() {
        for &d in &dependents[i] {
            tainted[d] |= tainted[i];
            waiting[d] -= 1;
            if waiting[d] == 0 {
                queue.push(d);
            }
        }
    }
    tainted
}

/// Skips everything that waits for `root`; returns how many of the skipped tasks were not tainted.
fn skip_dependents<E>(
    root: usize,
    dependents: &[Vec<usize>],
    tainted: &[bool],
    outcomes: &mut [Option<Outcome<E>>],
    on_finish: &mut impl FnMut(usize, &Outcome<E>),
) -> usize {
    let mut untainted = 0;
    let mut stack: Vec<usize> = dependents[root].clone();
    while let Some(d) = stack.pop() {
        if outcomes[d].is_none() {
            untainted += usize::from(!tainted[d]);
            let outcome = Outcome::Skipped { root };
            on_finish(d, &outcome);
            outcomes[d] = Some(outcome);
            stack.extend(dependents[d].iter().copied());
        }
    }
    untainted
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    fn no_stop() -> watch::Receiver<bool> {
        watch::channel(false).1
    }

    async fn run_walk(
        deps: &[Vec<usize>],
        parallelism: usize,
        fail_fast: bool,
        fails: &[usize],
    ) -> (Vec<Outcome<String>>, Vec<usize>, usize) {
        run_gated_walk(deps, &[], parallelism, fail_fast, fails).await
    }

    async fn run_gated_walk(
        deps: &[Vec<usize>],
        gated: &[bool],
        parallelism: usize,
        fail_fast: bool,
        fails: &[usize],
    ) -> (Vec<Outcome<String>>, Vec<usize>, usize) {
        let started = Arc::new(Mutex::new(Vec::new()));
        let active = Arc::new(Mutex::new((0usize, 0usize)));
        let fails = fails.to_vec();
        let outcomes = walk(
            deps,
            gated,
            WalkOptions { parallelism, fail_fast },
            no_stop(),
            |i| {
                let started = started.clone();
                let active = active.clone();
                let fail = fails.contains(&i);
                async move {
                    started.lock().unwrap().push(i);
                    {
                        let mut a = active.lock().unwrap();
                        a.0 += 1;
                        a.1 = a.1.max(a.0);
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    active.lock().unwrap().0 -= 1;
                    if fail {
                        Err(format!("step {i} failed"))
                    } else {
                        Ok(())
                    }
                }
            },
            |_, _| {},
        )
        .await;
        let order = started.lock().unwrap().clone();
        let peak = active.lock().unwrap().1;
        (outcomes, order, peak)
    }

    #[tokio::test(start_paused = true)]
    async fn dependencies_run_first_and_parallelism_is_bounded() {
        // 0 -> 1 -> 2, and 3..8 independent.
        let deps = vec![vec![], vec![0], vec![1], vec![], vec![], vec![], vec![], vec![]];
        let (outcomes, order, peak) = run_walk(&deps, 3, false, &[]).await;
        assert!(outcomes.iter().all(|o| *o == Outcome::Done));
        assert_eq!(peak, 3);
        let pos = |i: usize| order.iter().position(|&x| x == i).unwrap();
        assert!(pos(0) < pos(1) && pos(1) < pos(2));
        assert_eq!(&order[..3], &[0, 3, 4]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_skips_exactly_its_dependents() {
        // 0 -> 1 -> 2; 0 -> 3; 4 independent; 5 depends on 4 and 1.
        let deps = vec![vec![], vec![0], vec![1], vec![0], vec![], vec![4, 1]];
        let (outcomes, _, _) = run_walk(&deps, 10, false, &[1]).await;
        assert_eq!(
            outcomes,
            vec![
                Outcome::Done,
                Outcome::Failed("step 1 failed".into()),
                Outcome::Skipped { root: 1 },
                Outcome::Done,
                Outcome::Done,
                Outcome::Skipped { root: 1 },
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn gated_tasks_wait_for_the_rest_and_are_held_back_after_a_failure() {
        // 0 create (fails), 1 delete (gated), 2 delete (gated) -> 3 create taking the freed name,
        // 4 independent create.
        let deps = vec![vec![], vec![], vec![], vec![2], vec![]];
        let gated = [false, true, true, false, false];
        let (outcomes, order, _) = run_gated_walk(&deps, &gated, 10, false, &[0]).await;
        assert_eq!(order, vec![0, 4]);
        assert_eq!(
            outcomes,
            vec![
                Outcome::Failed("step 0 failed".into()),
                Outcome::HeldBack,
                Outcome::HeldBack,
                Outcome::HeldBack,
                Outcome::Done,
            ]
        );
        // Without a failure the gated ones run after every other task, then their dependents.
        let (outcomes, order, _) = run_gated_walk(&deps, &gated, 10, false, &[]).await;
        assert!(outcomes.iter().all(|o| *o == Outcome::Done));
        assert_eq!(order, vec![0, 4, 1, 2, 3]);
    }

    #[tokio::test(start_paused = true)]
    async fn fail_fast_starts_nothing_new() {
        let deps = vec![vec![], vec![], vec![], vec![]];
        let (outcomes, order, _) = run_walk(&deps, 1, true, &[0]).await;
        assert_eq!(order, vec![0]);
        assert_eq!(outcomes[0], Outcome::Failed("step 0 failed".into()));
        assert!(outcomes[1..].iter().all(|o| *o == Outcome::NotStarted));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_signal_waits_for_tasks_in_flight() {
        let (tx, rx) = watch::channel(false);
        let deps = vec![vec![]; 6];
        let tx = Arc::new(tx);
        let outcomes = walk(
            &deps,
            &[],
            WalkOptions { parallelism: 2, fail_fast: false },
            rx,
            |i| {
                let tx = tx.clone();
                async move {
                    if i == 1 {
                        let _ = tx.send(true);
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    Ok::<(), String>(())
                }
            },
            |_, _| {},
        )
        .await;
        assert_eq!(&outcomes[..2], &[Outcome::Done, Outcome::Done]);
        assert!(outcomes[2..].iter().all(|o| *o == Outcome::NotStarted));
    }
}
