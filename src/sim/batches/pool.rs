//! The one worker pool of batches and tournaments: jobs numbered 0.. taken by threads in
//! turn, their outputs handed over in job order, and no thread further ahead of the oldest
//! undelivered job than a bound, so memory stays bounded and results do not depend on the
//! number of threads.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

/// Outputs finished out of turn, and where delivery stands.
struct Delivery<'d, T, E> {
    /// The next job to deliver; every job before it has been delivered.
    next: u64,
    waiting: BTreeMap<u64, T>,
    /// The error `deliver` returned; no job after it is delivered.
    error: Option<E>,
    deliver: &'d mut (dyn FnMut(u64, T) -> Result<(), E> + Send),
}

impl<T, E> Delivery<'_, T, E> {
    /// Delivers every waiting output whose turn has come, until one is refused.
    fn deliver_ready(&mut self) {
        while self.error.is_none() {
            let Some(output) = self.waiting.remove(&self.next) else {
                break;
            };
            if let Err(error) = (self.deliver)(self.next, output) {
                self.error = Some(error);
            }
            self.next += 1;
        }
    }
}

/// Runs `work` for jobs `0..jobs` on up to `threads` threads, each with its own state from
/// `new_state`, and calls `deliver` with each output in job order. A thread waits rather
/// than start a job `lookahead` or more past the oldest undelivered one. Once `deliver`
/// refuses an output, no later job is started or delivered, and its error is returned. When
/// no thread can be started, the calling thread does every job.
pub fn run_in_order<S, T: Send, E: Send>(
    jobs: u64,
    threads: usize,
    lookahead: u64,
    new_state: &(dyn Fn() -> S + Sync),
    work: &(dyn Fn(u64, &mut S) -> T + Sync),
    deliver: &mut (dyn FnMut(u64, T) -> Result<(), E> + Send),
) -> Result<(), E> {
    assert!(lookahead >= 1, "a thread may always start the oldest job");
    let next_job = AtomicU64::new(0);
    let delivery = Mutex::new(Delivery {
        next: 0,
        waiting: BTreeMap::new(),
        error: None,
        deliver,
    });
    let turn = Condvar::new();
    let worker = || {
        let mut state = new_state();
        loop {
            let job = next_job.fetch_add(1, Ordering::Relaxed);
            if job >= jobs {
                break;
            }
            {
                let mut delivery = delivery.lock().expect("no thread panics holding it");
                while job >= delivery.next + lookahead && delivery.error.is_none() {
                    delivery = turn.wait(delivery).expect("no thread panics holding it");
                }
                if delivery.error.is_some() {
                    break;
                }
            }
            let output = work(job, &mut state);
            let mut delivery = delivery.lock().expect("no thread panics holding it");
            delivery.waiting.insert(job, output);
            delivery.deliver_ready();
            turn.notify_all();
        }
    };
    std::thread::scope(|scope| {
        let wanted = threads
            .max(1)
            .min(usize::try_from(jobs).unwrap_or(usize::MAX));
        let mut started = 0;
        for _ in 0..wanted {
            // A thread the system will not give is no error while another works: the
            // ones started take every job.
            if std::thread::Builder::new()
                .spawn_scoped(scope, worker)
                .is_err()
            {
                break;
            }
            started += 1;
        }
        if started == 0 && jobs > 0 {
            worker();
        }
    });
    let delivery = delivery.into_inner().expect("no thread panics holding it");
    match delivery.error {
        Some(error) => Err(error),
        None => {
            debug_assert_eq!(delivery.next, jobs, "every job delivered");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::run_in_order;

    #[test]
    fn outputs_arrive_in_job_order_on_any_number_of_threads() {
        for threads in [1, 2, 7] {
            let mut seen = Vec::new();
            let done: Result<(), ()> = run_in_order(
                100,
                threads,
                3,
                &|| 0u64,
                &|job, calls| {
                    *calls += 1;
                    job * 2
                },
                &mut |job, output| {
                    assert_eq!(output, job * 2);
                    seen.push(job);
                    Ok(())
                },
            );
            assert_eq!(done, Ok(()));
            assert_eq!(seen, (0..100).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_first_refused_output_in_job_order_stops_delivery() {
        let mut seen = Vec::new();
        let done = run_in_order(50, 4, 2, &|| (), &|job, ()| job, &mut |job, _| {
            if job == 10 || job == 30 {
                return Err(job);
            }
            seen.push(job);
            Ok(())
        });
        assert_eq!(done, Err(10));
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
    }
}
