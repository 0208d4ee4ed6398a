//! The engine: a [`Simulation`] owns its parameters, state, ledger and the means to run its phases
//! (one thread, or a rayon pool), and runs the step as a straight list of phase calls. There is no
//! scheduler: the order below is the schedule.
//!
//! A one-thread run builds no pool: its phases run directly on the calling thread when that thread
//! is the only worker of a rayon pool (a sweep or validation worker), else on the calling thread's
//! own one-thread pool, built on first use and reused by every later one-thread run of that thread
//! ([`single_threaded`]). So a thread that runs ten thousand small runs starts one pool, not ten
//! thousand (each of which cost a thread start, a stack and a malloc arena that glibc caches).

use std::cell::OnceCell;
use std::sync::Arc;

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
    exec: Exec,
    last_price: Price,
    last_flows: crate::ledger::FlowTotals,
    /// The parameters with the platform fees a `fee_holiday` waives: (buyer, seller, both).
    holiday: Option<Box<[Params; 3]>>,
}

/// Where a run's phases execute.
enum Exec {
    /// One thread, without a pool of the run's own ([`single_threaded`]).
    Single,
    /// A pool: the run's own, or one the caller shares between runs ([`Simulation::with_pool`]).
    Pool(Arc<rayon::ThreadPool>),
}

impl Exec {
    fn run<R: Send>(&self, op: impl FnOnce() -> R + Send) -> Result<R, SimError> {
        match self {
            Exec::Single => single_threaded(op),
            Exec::Pool(pool) => Ok(pool.install(op)),
        }
    }
}

thread_local! {
    /// The calling thread's one-thread pool, for one-thread runs started outside a one-thread
    /// rayon pool; built on first use, dropped when the thread exits.
    static LOCAL_POOL: OnceCell<Arc<rayon::ThreadPool>> = const { OnceCell::new() };
}

fn build_pool(threads: usize) -> Result<rayon::ThreadPool, SimError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| SimError::ThreadPool(e.to_string()))
}

/// Runs `op` on one thread, so that the rayon work inside it (the phases of one-thread
/// simulations) never fans out: directly on the calling thread when it is the only worker of a
/// rayon pool, else on the calling thread's own one-thread pool, built on the first call and
/// reused by every later call on this thread (one pool per thread, never one per run).
///
/// A loop that runs many one-thread simulations can call its whole body through this, so that
/// each step runs inline instead of being handed to the pool thread and back.
/// Errors only when the one-thread pool cannot be started.
pub fn single_threaded<R: Send>(op: impl FnOnce() -> R + Send) -> Result<R, SimError> {
    if rayon::current_thread_index().is_some() && rayon::current_num_threads() == 1 {
        return Ok(op());
    }
    let pool = LOCAL_POOL.with(|cell| -> Result<_, SimError> {
        if let Some(pool) = cell.get() {
            return Ok(Arc::clone(pool));
        }
        let pool = Arc::new(build_pool(1)?);
        Ok(Arc::clone(cell.get_or_init(|| pool)))
    })?;
    Ok(pool.install(op))
}

impl Simulation {
    /// Builds a run of a resolved, validated scenario on `threads` workers (0 = rayon's default:
    /// all cores, or `RAYON_NUM_THREADS`). The thread count never changes the results.
    ///
    /// `threads = 1` builds no pool: the phases run on the calling thread, or on the calling
    /// thread's reused one-thread pool ([`single_threaded`]). Any other count builds a pool of the
    /// run's own; [`Simulation::with_pool`] shares one between runs instead.
    pub fn new(scenario: &Scenario, threads: usize) -> Result<Simulation, SimError> {
        let exec = if threads == 1 {
            Exec::Single
        } else {
            Exec::Pool(Arc::new(build_pool(threads)?))
        };
        Simulation::build(scenario, exec)
    }

    /// Builds a run of a resolved, validated scenario on `pool`, which the caller may share with
    /// other runs (one after another, or at once: nothing of a run is kept in its pool). Called
    /// from one of `pool`'s own threads, the phases start on that thread. The pool's size never
    /// changes the results.
    pub fn with_pool(
        scenario: &Scenario,
        pool: Arc<rayon::ThreadPool>,
    ) -> Result<Simulation, SimError> {
        Simulation::build(scenario, Exec::Pool(pool))
    }

    fn build(scenario: &Scenario, exec: Exec) -> Result<Simulation, SimError> {
        let params = Params::new(scenario);
        let (mut world, ledger) = exec.run(|| phases::init::init(&params))?;
        phases::gtm::init(&params, &mut world);
        phases::subscription::init(scenario, &mut world);
        let holiday = scenario
            .gtm
            .policies
            .iter()
            .any(|x| matches!(x, crate::policy::gtm::GtmPolicy::FeeHoliday(_)))
            .then(|| {
                let waive = |buyer: bool, seller: bool| {
                    let mut q = params.clone();
                    if buyer {
                        q.buyer_fee_ppm = 0;
                        q.s.platform.buyer_fee_rate = 0.0;
                    }
                    if seller {
                        q.seller_fee_ppm = 0;
                        q.s.platform.seller_fee_rate = 0.0;
                    }
                    q
                };
                Box::new([waive(true, false), waive(false, true), waive(true, true)])
            });
        // The aggregates the first snapshot reads.
        let cu = &world.customers;
        for (si, sp) in params.segments.iter().enumerate() {
            let r = sp.first as usize..(sp.first + sp.size) as usize;
            world.onboarded_by_segment[si] = cu.status[r]
                .iter()
                .filter(|&&s| s == crate::state::Status::Onboarded)
                .count() as u64;
        }
        if params.s.engine.check_invariants {
            ledger.check(0)?;
        }
        let last_price = world.token_price;
        Ok(Simulation {
            params,
            world,
            ledger,
            buf: StepBuf::default(),
            exec,
            last_price,
            last_flows: Default::default(),
            holiday,
        })
    }

    /// The go-to-market events recorded so far (MODEL.md §7.13).
    pub fn gtm_events(&self) -> &[crate::state::gtm::GtmEvent] {
        &self.world.gtm.events
    }

    /// Number of worker threads this run's phases use.
    pub fn threads(&self) -> usize {
        match &self.exec {
            Exec::Single => 1,
            Exec::Pool(pool) => pool.current_num_threads(),
        }
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

    /// The ledger's transfer totals of the last step, by flow kind: an account of the money that
    /// moved, kept independently of the metrics (V6 compares the two).
    pub fn last_flows(&self) -> &crate::ledger::FlowTotals {
        &self.last_flows
    }

    /// The last step's buffers (jobs, fills, capacities), for tests and diagnostics.
    pub fn last_step(&self) -> &StepBuf {
        &self.buf
    }

    /// A 64-bit digest (FNV-1a) of every state column and every balance: equal digests after the
    /// same steps mean bit-identical state (used by the thread-count determinism tests).
    pub fn state_digest(&self) -> u64 {
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        let c = &self.world.customers;
        c.segment.iter().for_each(|&x| h.u64(x as u64));
        c.status.iter().for_each(|&x| h.u64(x as u64));
        c.value_mult.iter().for_each(|x| h.u64(x.to_bits()));
        c.theta
            .iter()
            .chain(&c.satisfaction)
            .for_each(|x| h.u64(x.to_bits() as u64));
        c.last_offering
            .iter()
            .chain(&c.last_platform_use)
            .chain(&c.last_incumbent_use)
            .chain(&c.onboarded_at)
            .for_each(|&x| h.u64(x as u64));
        c.spend_ewma_usd.iter().for_each(|x| h.u64(x.to_bits()));
        let o = &self.world.offerings;
        o.active.iter().for_each(|&x| h.u64(x as u64));
        for v in [
            &o.price,
            &o.quality,
            &o.data,
            &o.reputation,
            &o.demand_ewma,
            &o.profit_ewma,
            &o.cum_revenue_usd,
            &o.cum_profit_usd,
        ] {
            v.iter().for_each(|x| h.u64(x.to_bits()));
        }
        o.capacity
            .iter()
            .chain(&o.cum_requests)
            .for_each(|&x| h.u64(x));
        o.received_ring.iter().for_each(|&x| h.i128(x));
        for j in 0..o.len() {
            h.i128(
                self.ledger
                    .tokens(crate::ledger::Account::Offering(j as u32)),
            );
            h.i128(self.ledger.usd(crate::ledger::Account::Offering(j as u32)));
        }
        self.ledger
            .customer_tokens()
            .iter()
            .for_each(|&x| h.i128(x));
        use crate::ledger::Account::*;
        for a in [External, Treasury, Pool, Passive] {
            h.i128(self.ledger.tokens(a));
            h.i128(self.ledger.usd(a));
        }
        h.i128(self.world.token_price.num);
        h.i128(self.world.token_price.den);
        h.0
    }

    /// Runs one step: P1 … P10, then the conservation check.
    pub fn step(&mut self) -> Result<StepMetrics, SimError> {
        let Simulation {
            params,
            world,
            ledger,
            buf,
            exec,
            last_price,
            last_flows,
            holiday,
        } = self;
        // A `fee_holiday` in its window runs the step with the waived fees (§7.13).
        let (mut waive_b, mut waive_s) = (false, false);
        for (i, pol) in params.s.gtm.policies.iter().enumerate() {
            if let crate::policy::gtm::GtmPolicy::FeeHoliday(h) = pol {
                let rt = &world.gtm.rt[i];
                if rt.on && rt.stopped.is_none() && h.common().in_window(world.step) {
                    waive_b |= h.buyer;
                    waive_s |= h.seller;
                }
            }
        }
        let p: &Params = match (holiday.as_deref(), waive_b, waive_s) {
            (Some(h), true, false) => &h[0],
            (Some(h), false, true) => &h[1],
            (Some(h), true, true) => &h[2],
            _ => params,
        };
        exec.run(|| {
            let ctx = StepCtx {
                seed: p.s.run.seed,
                run: p.s.run.run,
                step: world.step,
                p,
            };
            let onboarded_before: u64 = world.onboarded_by_segment.iter().sum();
            buf.exits = 0;
            buf.bad_debt_usd = 0.0;
            buf.settle = Default::default();
            buf.gas_usd = 0.0;
            buf.treasury_outlay_tokens = 0;
            buf.speculator_flow = (0, 0);
            phases::token::open(&ctx, world, ledger, buf)?; // P0
            phases::gtm::open(&ctx, world, ledger, buf)?;
            let mut snap = phases::snapshot::build(p, world); // P1
            snap.gtm_subsidy = buf.gtm.subsidy.map_or(0.0, |x| x.1);
            phases::adoption::adopt(&ctx, world, &snap, buf); // P2
            phases::pricing::price(&ctx, world, &mut snap); // P3
            phases::b2b::procure(&ctx, world, &mut snap, buf); // P4
            if p.s.network_effects.expectations == crate::scenario::Expectations::Fulfilled {
                fulfil_expectations(&ctx, world, &mut snap);
            }
            let means = phases::auction::means(world, &snap, buf, p.categories.len());
            (snap.auction_qbar, snap.auction_rbar, snap.auction_netbar) = means;
            buf.jobs = phases::choice::choose_all(&ctx, world, &snap); // P5
            phases::matching::match_jobs(&ctx, world, &snap, buf); // P6
            // Call-auction sellers are paid the clearing price this step by the end customers who
            // won; B2B buyers, who chose them at their ask in P4, pay `snap.b2b_usd`.
            for (j, &pc) in buf.clear_price.iter().enumerate() {
                if pc > 0.0 {
                    snap.price_usd[j] = pc;
                }
            }
            phases::subscription::subscribe(&ctx, world, buf);
            phases::settlement::tally_spend(&ctx, world, &snap, buf);
            let pt = phases::trade::trade(&ctx, world, ledger, buf)?; // P7
            phases::settlement::settle(&ctx, world, &snap, ledger, buf, pt)?; // P8
            phases::update::update(&ctx, world, ledger, buf, &snap); // P9
            phases::subscription::renew(&ctx, world);
            phases::entry::enter(&ctx, world, ledger, buf, &snap.price_usd);
            phases::gtm::close(&ctx, world, ledger, buf)?;
            phases::token::close(&ctx, world, ledger, buf)?;
            let m = metrics::record(
                &ctx,
                p,
                world,
                ledger,
                buf,
                pt,
                &snap.price_usd,
                onboarded_before,
            ); // P10
            if p.s.engine.check_invariants {
                ledger.check(world.step)?;
            }
            *last_price = pt;
            *last_flows = ledger.take_flows();
            world.token_price_usd = pt.usd_per_token();
            world.step += 1;
            Ok(m)
        })?
    }
}

struct Fnv(u64);

impl Fnv {
    fn u64(&mut self, x: u64) {
        for b in x.to_le_bytes() {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn i128(&mut self, x: i128) {
        self.u64(x as u64);
        self.u64((x >> 64) as u64);
    }
}

/// `expectations = "fulfilled"` (§4, used for V9): iterates the platform's installed base to a fixed
/// point within the step: customers choose given base B, the number of customers choosing the
/// platform becomes the next B, until it repeats (at most 100 rounds; the last B is used).
fn fulfil_expectations(ctx: &StepCtx<'_>, world: &World, snap: &mut phases::snapshot::Snapshot) {
    let p = ctx.p;
    let mut base = world.active_platform as f64;
    for _ in 0..100 {
        let (same, _) = phases::snapshot::network_terms(p, world, &snap.platform_count, Some(base));
        snap.net_same = same;
        snap.platform_same = phases::snapshot::platform_same_term(p, world, Some(base));
        let jobs = phases::choice::choose_all(ctx, world, snap);
        let mut choosers = 0u64;
        let mut last = u32::MAX;
        for j in &jobs {
            if j.choice != crate::state::NONE
                && world.offerings.is_platform(j.choice as usize)
                && j.customer != last
            {
                choosers += 1;
                last = j.customer;
            }
        }
        if choosers as f64 == base {
            break;
        }
        base = choosers as f64;
    }
}
