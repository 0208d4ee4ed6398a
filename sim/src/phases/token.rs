//! Token supply (MODEL.md §7.11): P0 mints the step's emission tranche and splits it (treasury,
//! grants pool, staking reward pool; integer split, remainder to the treasury) and opens staking
//! windows; the end of P9 closes them (rewards pro rata to stake, auto-restake, withdrawals).

use super::{StepBuf, StepCtx};
use crate::error::SimError;
use crate::ledger::{Account, Flow, Ledger};
use crate::scenario::{EmissionParams, EmissionSchedule};
use crate::state::World;
use crate::units::{PPM, TOKEN_UNIT, mul_div_floor, share_to_ppm, split_floor};

/// Tranche of period `m` (0-based) in base units.
pub fn tranche(e: &EmissionParams, m: u32) -> i128 {
    let tokens = match e.schedule {
        EmissionSchedule::None => 0.0,
        EmissionSchedule::Constant => e.tokens_per_period,
        EmissionSchedule::Geometric => e.first_tranche_tokens * (1.0 - e.decay).powi(m as i32),
        EmissionSchedule::Table => e.table.get(m as usize).copied().unwrap_or(0.0),
    };
    (tokens * TOKEN_UNIT as f64).round() as i128
}

/// Cumulative emission after `m` periods, E₁(1 − (1 − d)^m)/d for the geometric schedule (tokens).
pub fn geometric_cumulative(first: f64, decay: f64, m: u32) -> f64 {
    if decay == 0.0 {
        first * m as f64
    } else {
        first * (1.0 - (1.0 - decay).powi(m as i32)) / decay
    }
}

/// P0: emission and staking-window opening.
pub fn open(
    ctx: &StepCtx<'_>,
    w: &mut World,
    ledger: &mut Ledger,
    buf: &mut StepBuf,
) -> Result<(), SimError> {
    let t = &ctx.p.s.token;
    let e = &t.emission;
    buf.minted_tokens = 0;
    if e.schedule != EmissionSchedule::None && ctx.step.is_multiple_of(e.period_steps.max(1)) {
        let amount = tranche(e, ctx.step / e.period_steps.max(1));
        if amount > 0 {
            let grants = split_floor(amount, share_to_ppm(e.allocation.grants));
            let rewards = split_floor(amount, share_to_ppm(e.allocation.staking_rewards));
            ledger.mint(Account::GrantsPool, grants);
            ledger.mint(Account::StakingRewards, rewards);
            ledger.mint(Account::Treasury, amount - grants - rewards);
            buf.minted_tokens = amount;
        }
    }
    let s = &t.staking;
    if s.enabled && ctx.step.is_multiple_of(s.window_steps.max(1)) {
        let share = (s.base_share + s.elasticity * (w.staking_apy - s.hurdle_apy)).clamp(0.0, 1.0);
        let ppm = share_to_ppm(share);
        let step = ctx.step;
        let stake = |ledger: &mut Ledger, from: Account, to: Account| -> Result<(), SimError> {
            let amount = split_floor(ledger.tokens(from), ppm);
            ledger.transfer_tokens(step, from, to, amount, Flow::Staking)
        };
        stake(ledger, Account::Passive, Account::PassiveStake)?;
        for j in 0..w.offerings.len() {
            if w.offerings.active[j] && w.offerings.is_platform(j) {
                stake(
                    ledger,
                    Account::Offering(j as u32),
                    Account::OfferingStake(j as u32),
                )?;
            }
        }
    }
    Ok(())
}

/// End of P9: closes a staking window (rewards, restake, withdrawals) and records its APY.
pub fn close(
    ctx: &StepCtx<'_>,
    w: &mut World,
    ledger: &mut Ledger,
    buf: &mut StepBuf,
) -> Result<(), SimError> {
    let p = ctx.p;
    let s = &p.s.token.staking;
    let win = s.window_steps.max(1);
    if !s.enabled || !(ctx.step + 1).is_multiple_of(win) {
        return Ok(());
    }
    let step = ctx.step;
    let reward = (s.reward_tokens_per_window * TOKEN_UNIT as f64).round() as i128;
    let reward = reward.min(ledger.tokens(Account::Treasury));
    ledger.transfer_tokens(
        step,
        Account::Treasury,
        Account::StakingRewards,
        reward,
        Flow::Staking,
    )?;
    buf.treasury_outlay_tokens += reward;
    let mut stakers = vec![(Account::PassiveStake, Account::Passive, true)];
    for j in 0..w.offerings.len() {
        if w.offerings.is_platform(j) && ledger.tokens(Account::OfferingStake(j as u32)) > 0 {
            stakers.push((
                Account::OfferingStake(j as u32),
                Account::Offering(j as u32),
                w.offerings.active[j],
            ));
        }
    }
    let total: i128 = stakers.iter().map(|s| ledger.tokens(s.0)).sum();
    let pool = ledger.tokens(Account::StakingRewards);
    w.staking_apy = 0.0;
    if total > 0 {
        for &(stake, _, _) in &stakers {
            let r = mul_div_floor(pool, ledger.tokens(stake), total);
            ledger.transfer_tokens(step, Account::StakingRewards, stake, r, Flow::Staking)?;
        }
        let windows_per_year = 365.0 / (win as f64 * p.s.run.step_days);
        w.staking_apy = pool as f64 / total as f64 * windows_per_year;
    }
    let keep = share_to_ppm(s.auto_restake);
    for (stake, wallet, active) in stakers {
        let bal = ledger.tokens(stake);
        let out = if active {
            bal - mul_div_floor(bal, keep as i128, PPM)
        } else {
            bal
        };
        ledger.transfer_tokens(step, stake, wallet, out, Flow::Staking)?;
        // An exited firm's released stake is sold in the next batch (§7.12).
        if let Account::Offering(j) = wallet
            && !active
            && out > 0
        {
            w.offerings.pending_exit_sale[j as usize] = true;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometric_tranches_sum_to_the_closed_form() {
        // Phase Two: E₁ = 15e6 tokens, d = 1.5 % per month; 12 months → 165.87 million.
        let e = EmissionParams {
            schedule: EmissionSchedule::Geometric,
            first_tranche_tokens: 15e6,
            decay: 0.015,
            ..EmissionParams::default()
        };
        let sum: i128 = (0..12).map(|m| tranche(&e, m)).sum();
        let want = geometric_cumulative(15e6, 0.015, 12);
        assert!((want - 165.87e6).abs() < 0.01e6, "{want}");
        assert!(
            (sum as f64 / TOKEN_UNIT as f64 - want).abs() * TOKEN_UNIT as f64 <= 12.0,
            "≤ 1 base unit per tranche"
        );
        assert_eq!(tranche(&e, 0), 15_000_000 * TOKEN_UNIT);
    }

    #[test]
    fn other_schedules() {
        let c = EmissionParams {
            schedule: EmissionSchedule::Constant,
            tokens_per_period: 2.5,
            ..EmissionParams::default()
        };
        assert_eq!(tranche(&c, 7), 250_000_000);
        let t = EmissionParams {
            schedule: EmissionSchedule::Table,
            table: vec![1.0, 2.0],
            ..EmissionParams::default()
        };
        assert_eq!((tranche(&t, 1), tranche(&t, 2)), (2 * TOKEN_UNIT, 0));
        assert_eq!(tranche(&EmissionParams::default(), 0), 0);
    }
}
