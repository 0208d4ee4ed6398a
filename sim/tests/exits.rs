//! An exited firm leaves nothing behind (MODEL.md §7.12, docs/MODEL.md D28): its wallet is sold in
//! the next batch, its stake is released at the end of the staking window and sold in the batch
//! after that, and its cash is withdrawn or written off.

mod common;

use common::{TINY, resolve};
use mindmarket_sim::Simulation;
use mindmarket_sim::ledger::Account;

#[test]
fn an_exited_firms_wallet_and_stake_are_sold() {
    let s = resolve(TINY, &["run.steps=80"]);
    let window = s.token.staking.window_steps;
    let mut sim = Simulation::new(&s, 1).unwrap();
    // Firms that held a stake when they exited, with their exit step.
    let mut staked_exits: Vec<(usize, u32)> = Vec::new();
    while !sim.finished() {
        let was_active: Vec<bool> = sim.world.offerings.active.clone();
        sim.step().unwrap();
        let o = &sim.world.offerings;
        for (j, &a) in was_active.iter().enumerate() {
            if a && !o.active[j] && sim.ledger.tokens(Account::OfferingStake(j as u32)) > 0 {
                staked_exits.push((j, sim.step_index()));
            }
        }
    }
    let end = sim.step_index();
    let settled: Vec<usize> = staked_exits
        .iter()
        .filter(|&&(_, at)| at + window + 2 <= end)
        .map(|&(j, _)| j)
        .collect();
    assert!(
        !settled.is_empty(),
        "no staked firm exited early enough: {staked_exits:?}"
    );
    for j in settled {
        let a = Account::Offering(j as u32);
        assert_eq!(
            sim.ledger.tokens(Account::OfferingStake(j as u32)),
            0,
            "stake of {j}"
        );
        assert_eq!(sim.ledger.tokens(a), 0, "wallet of {j}");
        assert_eq!(sim.ledger.usd(a), 0, "cash of {j}");
    }
}
