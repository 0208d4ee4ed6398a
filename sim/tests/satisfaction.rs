//! Satisfaction is the platform's report card (docs/MODEL.md §7.2, D14): a job whose first choice
//! was a platform offering moves the customer's satisfaction towards the share of the job the
//! platform served × its mean rating — also when capacity turned the job away and an incumbent
//! served it in a later round (outcome 0), which an earlier version did not count at all.

mod common;

use common::{TINY, resolve};
use mindmarket_sim::Simulation;

#[test]
fn a_platform_job_served_by_the_incumbent_counts_as_outcome_zero() {
    // Scarce platform capacity, so many platform choices are rejected and re-choose.
    let s = resolve(
        TINY,
        &[
            "run.steps=12",
            "providers.initial[0].capacity=5",
            "providers.initial[2].capacity=5",
            "providers.initial[3].capacity=5",
        ],
    );
    let mut sim = Simulation::new(&s, 1).unwrap();
    let mut checked = 0;
    while !sim.finished() {
        let before = sim.world.customers.satisfaction.clone();
        sim.step().unwrap();
        let w = &sim.world;
        let buf = sim.last_step();
        let mut jobs_of = vec![0u32; before.len()];
        for j in &buf.jobs {
            jobs_of[j.customer as usize] += 1;
        }
        for (k, job) in buf.jobs.iter().enumerate() {
            let i = job.customer as usize;
            let first_platform =
                job.choice != u32::MAX && w.offerings.is_platform(job.choice as usize);
            let fills: Vec<_> = buf.fills.iter().filter(|f| f.job as usize == k).collect();
            let by_platform: u32 = fills
                .iter()
                .filter(|f| w.offerings.is_platform(f.offering as usize))
                .map(|f| f.n)
                .sum();
            if jobs_of[i] != 1 || !first_platform || by_platform > 0 || job.served == 0 {
                continue;
            }
            // Served wholly by an incumbent after the platform turned it away.
            let seg = w.customers.segment[i] as usize;
            let a = s.segments[seg].satisfaction_alpha as f32;
            assert_eq!(
                w.customers.satisfaction[i],
                (1.0 - a) * before[i],
                "customer {i} at step {}",
                sim.step_index()
            );
            checked += 1;
        }
    }
    assert!(
        checked > 0,
        "no platform job was turned away and served by the incumbent"
    );
}
