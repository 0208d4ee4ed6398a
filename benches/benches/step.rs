//! One simulation step (`Simulation::step`, phases P1–P10 plus the conservation check) at 10k, 100k
//! and 1M customers, on the scenario of `mindmarket_benches::scenario` (the baseline's segment mix
//! and providers, scaled to N customers). Throughput is N elements per step, so criterion reports
//! customer-steps per second.
//!
//! What is measured: a step mutates the state (awareness spreads, customers onboard, escrows fill,
//! prices and capacities move), so there is no honest way to repeat "the same" step short of
//! cloning a whole world per iteration, which would dominate the 1M case. Instead each size builds
//! a `Simulation`, runs `WARMUP_STEPS` (5) steps outside the measurement so that onboarding and
//! the first trades have happened, and then times *successive* steps of that run, each step timed
//! on its own. At step `MEASURE_UNTIL` (85) the run is replaced by a fresh warmed-up one, outside
//! the timings, so the figure is always the mean cost of steps 5–84 of a young market (what a real
//! run pays per step early on), however many iterations criterion runs. Without that bound a fast
//! machine would run thousands of steps and time a different market: from step ~90 most providers
//! exit.
//!
//! Under `cargo test --benches` (criterion's test mode: each benchmark runs once, no `--bench`
//! argument) sizes above 100k are skipped: building and warming up the 1M run takes a few seconds
//! and ~150 MB, which a smoke test of every CI run does not need. `cargo bench` runs all three.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mindmarket_benches::{MEASURE_UNTIL, SIZES, WARMUP_STEPS, scenario};
use mindmarket_sim::Simulation;

/// Largest size run in criterion's test mode (`cargo test --benches`).
const TEST_MODE_MAX_CUSTOMERS: u32 = 100_000;

/// Whether criterion will measure (`cargo bench`) rather than run each benchmark once (`cargo test
/// --benches`, or `cargo bench -- --test`). Criterion decides the same way from the same flags.
fn measuring() -> bool {
    let mut bench = false;
    let mut test = false;
    for a in std::env::args() {
        bench |= a == "--bench";
        test |= a == "--test";
    }
    bench && !test
}

/// A run of the bench scenario with `customers` customers on all cores (rayon's default, or
/// `RAYON_NUM_THREADS`), after the warm-up steps.
fn warmed_up(customers: u32) -> Simulation {
    let s = scenario(customers);
    let mut sim = Simulation::new(&s, 0).expect("the bench simulation starts");
    for _ in 0..WARMUP_STEPS {
        sim.step().expect("a warm-up step runs");
    }
    sim
}

fn step(c: &mut Criterion) {
    let measuring = measuring();
    let mut group = c.benchmark_group("step");
    for customers in SIZES {
        if !measuring && customers > TEST_MODE_MAX_CUSTOMERS {
            eprintln!(
                "step/{customers}: skipped in test mode (sizes above {TEST_MODE_MAX_CUSTOMERS}); \
                 `cargo bench --bench step` runs it"
            );
            continue;
        }
        // Few, long samples for the big sizes so that a full run takes under a minute of
        // measuring on 2 cores (a 1M step takes 0.15–0.4 s there). `--quick` ignores the sample
        // size and warm-up and stops at the measurement time at the latest.
        let (samples, warm_up, measurement) = match customers {
            0..=10_000 => (50, 1, 5),
            10_001..=100_000 => (20, 2, 8),
            _ => (10, 1, 10),
        };
        group
            .sample_size(samples)
            .warm_up_time(Duration::from_secs(warm_up))
            .measurement_time(Duration::from_secs(measurement))
            .throughput(Throughput::Elements(u64::from(customers)));
        // Built lazily, inside the routine, so that a filtered-out size costs nothing; criterion
        // calls the routine once per batch of iterations, and every call steps the same run.
        let mut run: Option<Simulation> = None;
        group.bench_function(BenchmarkId::from_parameter(customers), |b| {
            b.iter_custom(|iters| {
                let mut measured = Duration::ZERO;
                for _ in 0..iters {
                    let sim = match &mut run {
                        Some(sim) if sim.step_index() < MEASURE_UNTIL => sim,
                        stale => stale.insert(warmed_up(customers)),
                    };
                    // Successive steps of one run: see the module docs for why this is honest.
                    let start = Instant::now();
                    let metrics = sim.step().expect("a measured step runs");
                    measured += start.elapsed();
                    black_box(metrics);
                }
                measured
            });
        });
    }
    group.finish();
}

criterion_group!(benches, step);
criterion_main!(benches);
