//! The engine: a [`Simulation`] owns its parameters, state, ledger and thread pool, and runs the
//! step as a straight list of phase calls. There is no scheduler: the order below is the schedule.

use crate::error::SimError;
use crate::ledger::Ledger;
use crate::metrics::{self, StepMetrics};
use crate::params::Params;
use crate::phases::{self, StepBuf, StepCtx};
use crate::scenario::Scenario;
use crate::state::World;
use crate::units::Price;

/// One run of a scenario.
pub struct Simulation {
    /// Derived parameters (including the resolved scenario).
    pub params: Params,
    /// Mutable state.
    pub world: World,
    /// Balances.
    pub ledger: Ledger,
    buf: StepBuf,
    pool: rayon::ThreadPool,
    last_price: Price,
}

impl Simulation {
    /// Builds a run of a resolved, validated scenario on its own pool of `threads` workers
    /// (0 = rayon's default: all cores, or `RAYON_NUM_THREADS`). The thread count never changes
    /// the results.
    pub fn new(scenario: &Scenario, threads: usize) -> Result<Simulation, SimError> {
        let params = Params::new(scenario);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| SimError::ThreadPool(e.to_string()))?;
        let (mut world, ledger) = pool.install(|| phases::init::init(&params));
        // The aggregates the first snapshot reads.
        let cu = &world.customers;
        for (si, sp) in params.segments.iter().enumerate() {
            let r = sp.first as usize..(sp.first + sp.size) as usize;
            world.onboarded_by_segment[si] =
                cu.status[r].iter().filter(|&&s| s == crate::state::Status::Onboarded).count() as u64;
        }
        if params.s.engine.check_invariants {
            ledger.check(0)?;
        }
        let last_price = world.token_price;
        Ok(Simulation { params, world, ledger, buf: StepBuf::default(), pool, last_price })
    }

    /// Number of worker threads of this run's pool.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// The step about to run.
    pub fn step_index(&self) -> u32 {
        self.world.step
    }

    /// Whether every configured step has run.
    pub fn finished(&self) -> bool {
        self.world.step >= self.params.s.run.steps
    }

    /// The last batch price (nano-USD per base unit).
    pub fn last_price(&self) -> Price {
        self.last_price
    }

    /// Runs one step: P1 … P10, then the conservation check.
    pub fn step(&mut self) -> Result<StepMetrics, SimError> {
        let Simulation { params, world, ledger, buf, pool, last_price } = self;
        let p: &Params = params;
        pool.install(|| {
            let ctx = StepCtx { seed: p.s.run.seed, run: p.s.run.run, step: world.step, p };
            let onboarded_before: u64 = world.onboarded_by_segment.iter().sum();
            buf.exits = 0;
            buf.bad_debt_usd = 0.0;
            buf.settle = Default::default();
            let mut snap = phases::snapshot::build(p, world); // P1
            phases::adoption::adopt(&ctx, world, &snap, buf); // P2
            phases::pricing::price(&ctx, world, &mut snap); // P3
            phases::b2b::procure(&ctx, world, &mut snap, buf); // P4
            buf.jobs = phases::choice::choose_all(&ctx, world, &snap); // P5
            phases::matching::match_jobs(&ctx, world, &snap, buf); // P6
            phases::settlement::tally_spend(&ctx, world, &snap, buf);
            let pt = phases::trade::trade(&ctx, world, ledger, buf)?; // P7
            phases::settlement::settle(&ctx, world, &snap, ledger, buf, pt)?; // P8
            phases::update::update(&ctx, world, ledger, buf, &snap.price_usd); // P9
            let m = metrics::record(&ctx, p, world, ledger, buf, pt, &snap.price_usd, onboarded_before); // P10
            if p.s.engine.check_invariants {
                ledger.check(world.step)?;
            }
            *last_price = pt;
            world.token_price_usd = pt.usd_per_token();
            world.step += 1;
            Ok(m)
        })
    }
}
