//! The ledger: the only code that changes token and fiat balances.
//!
//! Every token and every nano-dollar sits in exactly one account. Transfers are double-entry and in
//! integers; token supply changes only through [`Ledger::mint`] and [`Ledger::burn`]; fiat enters and
//! leaves the modelled economy only through the outside world account. [`Ledger::check`] verifies
//! both identities and the sign rules; the engine calls it at the end of every step.
//! No floating-point arithmetic happens in this file.

use std::fmt;

use crate::error::SimError;

/// An account that can hold tokens and/or fiat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Account {
    /// Source and sink of fiat entering or leaving the model (customers' own money, costs, wages).
    /// May be negative. Holds no tokens.
    External,
    /// The platform treasury.
    Treasury,
    /// The exchange pool's reserves.
    Pool,
    /// Passive holders of genesis tokens.
    Passive,
    /// A customer's escrow (tokens only).
    Customer(u32),
    /// An offering's firm: token wallet and fiat cash (cash may be negative: debt).
    Offering(u32),
    /// The treasury's grants pool (counted as treasury; tokens only).
    GrantsPool,
    /// The staking contract's reward pool (tokens only).
    StakingRewards,
    /// Tokens staked by an offering's firm (locked in the staking contract).
    OfferingStake(u32),
    /// Tokens staked by the passive holders.
    PassiveStake,
    /// The speculators' wallet (tokens; their fiat is the outside world's).
    Speculators,
    /// Awarded but not yet vested grants (tokens only).
    Vesting,
    /// The studio (go-to-market `studio`): its token wallet and its fiat cash (MODEL.md §7.13).
    Studio,
    /// Tokens of open RFAI bounties, held for the treasury until awarded or refunded (§7.13).
    Bounties,
}

/// A printable account reference for errors.
pub type AccountRef = Account;

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::External => write!(f, "external_world"),
            Account::Treasury => write!(f, "treasury"),
            Account::Pool => write!(f, "exchange pool"),
            Account::Passive => write!(f, "passive holders"),
            Account::Customer(i) => write!(f, "customer {i}"),
            Account::Offering(j) => write!(f, "offering {j}"),
            Account::GrantsPool => write!(f, "grants pool"),
            Account::StakingRewards => write!(f, "staking reward pool"),
            Account::OfferingStake(j) => write!(f, "stake of offering {j}"),
            Account::PassiveStake => write!(f, "passive holders' stake"),
            Account::Speculators => write!(f, "speculators"),
            Account::Vesting => write!(f, "vesting"),
            Account::Studio => write!(f, "studio"),
            Account::Bounties => write!(f, "open bounties"),
        }
    }
}

/// Why money moved: transfers are tallied per kind and step, independently of the metrics code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Flow {
    /// Initial endowments.
    Genesis = 0,
    /// End-customer payment to a platform provider (net of the seller fee).
    Payment,
    /// Seller fees to the treasury (part of the gross).
    Fee,
    /// Composite → supplier payment (net of the seller fee).
    B2b,
    /// Exchange: into the pool.
    ExchangeIn,
    /// Exchange: out of the pool.
    ExchangeOut,
    /// Incumbent revenue (fiat from the outside world).
    IncumbentRevenue,
    /// Costs paid to the outside world.
    Cost,
    /// Exited firms' cash written off or withdrawn.
    Exit,
    /// Burned tokens.
    Burn,
    /// Newly minted tokens and their allocation.
    Emission,
    /// Staking deposits, withdrawals and rewards.
    Staking,
    /// Buyer fees to the treasury (on top of the gross).
    BuyerFee,
    /// Seller fees on B2B purchases (part of their gross).
    B2bFee,
    /// Go-to-market outlays of the treasury (grants, bounties, salaries, airdrops, liquidity,
    /// marketing) and their refunds.
    Gtm,
    /// Treasury subsidies, free calls and bonuses paid to providers for customers' requests (part
    /// of the gross of the fills they subsidize).
    Subsidy,
    /// The studio's revenue and its split (MODEL.md §7.13).
    Studio,
}

/// Number of [`Flow`] kinds.
pub const FLOW_KINDS: usize = 17;

/// Per-step totals by flow kind (tokens in base units, fiat in nano-USD).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowTotals {
    /// Tokens moved, by [`Flow`].
    pub tokens: [i128; FLOW_KINDS],
    /// Fiat moved, by [`Flow`].
    pub usd: [i128; FLOW_KINDS],
}

/// All balances.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    customer_tokens: Vec<i128>,
    offering_tokens: Vec<i128>,
    offering_usd: Vec<i128>,
    treasury_tokens: i128,
    treasury_usd: i128,
    pool_tokens: i128,
    pool_usd: i128,
    passive_tokens: i128,
    grants_pool: i128,
    staking_rewards: i128,
    offering_stake: Vec<i128>,
    passive_stake: i128,
    speculators: i128,
    vesting: i128,
    studio_tokens: i128,
    studio_usd: i128,
    bounties: i128,
    external_usd: i128,
    genesis: i128,
    minted: i128,
    burned: i128,
    flows: FlowTotals,
}

impl Ledger {
    /// An empty ledger with `customers` customer accounts.
    pub fn new(customers: usize) -> Ledger {
        Ledger {
            customer_tokens: vec![0; customers],
            ..Ledger::default()
        }
    }

    /// Opens the accounts of a new offering and returns its id (ids are dense and never reused).
    pub fn open_offering(&mut self) -> u32 {
        self.offering_tokens.push(0);
        self.offering_usd.push(0);
        self.offering_stake.push(0);
        (self.offering_tokens.len() - 1) as u32
    }

    /// Token balance (base units).
    pub fn tokens(&self, a: Account) -> i128 {
        match a {
            Account::External => 0,
            Account::Treasury => self.treasury_tokens,
            Account::Pool => self.pool_tokens,
            Account::Passive => self.passive_tokens,
            Account::Customer(i) => self.customer_tokens[i as usize],
            Account::Offering(j) => self.offering_tokens[j as usize],
            Account::GrantsPool => self.grants_pool,
            Account::StakingRewards => self.staking_rewards,
            Account::OfferingStake(j) => self.offering_stake[j as usize],
            Account::PassiveStake => self.passive_stake,
            Account::Speculators => self.speculators,
            Account::Vesting => self.vesting,
            Account::Studio => self.studio_tokens,
            Account::Bounties => self.bounties,
        }
    }

    /// Fiat balance (nano-USD).
    pub fn usd(&self, a: Account) -> i128 {
        match a {
            Account::External => self.external_usd,
            Account::Treasury => self.treasury_usd,
            Account::Pool => self.pool_usd,
            Account::Offering(j) => self.offering_usd[j as usize],
            Account::Studio => self.studio_usd,
            _ => 0,
        }
    }

    /// All customer escrow balances, indexed by customer id.
    pub fn customer_tokens(&self) -> &[i128] {
        &self.customer_tokens
    }

    /// Genesis supply (base units).
    pub fn genesis(&self) -> i128 {
        self.genesis
    }
    /// Tokens minted since genesis.
    pub fn minted(&self) -> i128 {
        self.minted
    }
    /// Tokens burned since genesis.
    pub fn burned(&self) -> i128 {
        self.burned
    }
    /// Total supply = genesis + minted − burned.
    pub fn total_supply(&self) -> i128 {
        self.genesis + self.minted - self.burned
    }

    fn tok_mut(&mut self, a: Account) -> &mut i128 {
        match a {
            Account::External => unreachable!("the outside world holds no tokens"),
            Account::Treasury => &mut self.treasury_tokens,
            Account::Pool => &mut self.pool_tokens,
            Account::Passive => &mut self.passive_tokens,
            Account::Customer(i) => &mut self.customer_tokens[i as usize],
            Account::Offering(j) => &mut self.offering_tokens[j as usize],
            Account::GrantsPool => &mut self.grants_pool,
            Account::StakingRewards => &mut self.staking_rewards,
            Account::OfferingStake(j) => &mut self.offering_stake[j as usize],
            Account::PassiveStake => &mut self.passive_stake,
            Account::Speculators => &mut self.speculators,
            Account::Vesting => &mut self.vesting,
            Account::Studio => &mut self.studio_tokens,
            Account::Bounties => &mut self.bounties,
        }
    }

    fn usd_mut(&mut self, a: Account) -> &mut i128 {
        match a {
            Account::External => &mut self.external_usd,
            Account::Treasury => &mut self.treasury_usd,
            Account::Pool => &mut self.pool_usd,
            Account::Offering(j) => &mut self.offering_usd[j as usize],
            Account::Studio => &mut self.studio_usd,
            other => unreachable!("{other} holds no fiat in the ledger"),
        }
    }

    /// Creates the genesis supply in `to` (only before the first step).
    pub fn genesis_tokens(&mut self, to: Account, amount: i128) {
        assert!(amount >= 0, "genesis amount must be non-negative");
        *self.tok_mut(to) += amount;
        self.genesis += amount;
        self.flows.tokens[Flow::Genesis as usize] += amount;
    }

    /// Issues initial fiat to `to` from the outside world.
    pub fn endow_usd(&mut self, to: Account, amount: i128) {
        self.transfer_usd_unchecked(Account::External, to, amount, Flow::Genesis);
    }

    /// Mints new tokens into `to`.
    pub fn mint(&mut self, to: Account, amount: i128) {
        assert!(amount >= 0, "mint amount must be non-negative");
        *self.tok_mut(to) += amount;
        self.minted += amount;
        self.flows.tokens[Flow::Emission as usize] += amount;
    }

    /// Σ tokens staked (all stakers), excluding the reward pool.
    pub fn staked(&self) -> i128 {
        self.passive_stake + self.offering_stake.iter().sum::<i128>()
    }

    /// Burns tokens held by `from`.
    pub fn burn(&mut self, step: u32, from: Account, amount: i128) -> Result<(), SimError> {
        self.debit_tokens(step, from, amount)?;
        self.burned += amount;
        self.flows.tokens[Flow::Burn as usize] += amount;
        Ok(())
    }

    fn debit_tokens(&mut self, step: u32, from: Account, amount: i128) -> Result<(), SimError> {
        assert!(amount >= 0, "transfer amount must be non-negative");
        let bal = self.tok_mut(from);
        if *bal < amount {
            return Err(SimError::Insufficient {
                step,
                account: from,
                balance: *bal,
                amount,
            });
        }
        *bal -= amount;
        Ok(())
    }

    /// Moves tokens; fails (and changes nothing) if `from` holds less than `amount`.
    pub fn transfer_tokens(
        &mut self,
        step: u32,
        from: Account,
        to: Account,
        amount: i128,
        flow: Flow,
    ) -> Result<(), SimError> {
        if amount == 0 {
            return Ok(());
        }
        self.debit_tokens(step, from, amount)?;
        *self.tok_mut(to) += amount;
        self.flows.tokens[flow as usize] += amount;
        Ok(())
    }

    /// Moves fiat. The outside world and firms' cash may go negative (debt); the treasury, the pool
    /// and the studio may not, and a transfer that would make them negative fails and changes
    /// nothing.
    pub fn transfer_usd(
        &mut self,
        step: u32,
        from: Account,
        to: Account,
        amount: i128,
        flow: Flow,
    ) -> Result<(), SimError> {
        assert!(amount >= 0, "transfer amount must be non-negative");
        if amount == 0 {
            return Ok(());
        }
        if matches!(from, Account::Treasury | Account::Pool | Account::Studio) {
            let bal = self.usd(from);
            if bal < amount {
                return Err(SimError::Insufficient {
                    step,
                    account: from,
                    balance: bal,
                    amount,
                });
            }
        }
        self.transfer_usd_unchecked(from, to, amount, flow);
        Ok(())
    }

    fn transfer_usd_unchecked(&mut self, from: Account, to: Account, amount: i128, flow: Flow) {
        *self.usd_mut(from) -= amount;
        *self.usd_mut(to) += amount;
        self.flows.usd[flow as usize] += amount;
    }

    /// Returns this step's flow totals and resets them.
    pub fn take_flows(&mut self) -> FlowTotals {
        std::mem::take(&mut self.flows)
    }

    /// Σ token balances − total supply (0 unless there is a bug).
    pub fn token_error(&self) -> i128 {
        let mut sum = self.treasury_tokens
            + self.pool_tokens
            + self.passive_tokens
            + self.grants_pool
            + self.staking_rewards
            + self.passive_stake
            + self.speculators
            + self.vesting
            + self.studio_tokens
            + self.bounties;
        sum += self.offering_stake.iter().sum::<i128>();
        sum += self.customer_tokens.iter().sum::<i128>();
        sum += self.offering_tokens.iter().sum::<i128>();
        sum - self.total_supply()
    }

    /// Σ fiat balances including the outside world (0 unless there is a bug).
    pub fn usd_error(&self) -> i128 {
        self.external_usd
            + self.treasury_usd
            + self.pool_usd
            + self.studio_usd
            + self.offering_usd.iter().sum::<i128>()
    }

    /// Checks conservation of tokens and fiat and the sign rules; the error names the step.
    pub fn check(&self, step: u32) -> Result<(), SimError> {
        let (tokens_error, usd_error) = (self.token_error(), self.usd_error());
        if tokens_error != 0 || usd_error != 0 {
            return Err(SimError::Conservation {
                step,
                tokens_error,
                usd_error,
            });
        }
        let fixed = [
            (Account::Treasury, self.treasury_tokens),
            (Account::Pool, self.pool_tokens),
            (Account::Passive, self.passive_tokens),
            (Account::GrantsPool, self.grants_pool),
            (Account::StakingRewards, self.staking_rewards),
            (Account::PassiveStake, self.passive_stake),
            (Account::Speculators, self.speculators),
            (Account::Vesting, self.vesting),
            (Account::Studio, self.studio_tokens),
            (Account::Bounties, self.bounties),
            (Account::Treasury, self.treasury_usd),
            (Account::Pool, self.pool_usd),
            (Account::Studio, self.studio_usd),
        ];
        for (account, balance) in fixed {
            if balance < 0 {
                return Err(SimError::NegativeBalance {
                    step,
                    account,
                    balance,
                });
            }
        }
        let neg = |v: &[i128]| v.iter().position(|&b| b < 0);
        if let Some(i) = neg(&self.customer_tokens) {
            let account = Account::Customer(i as u32);
            return Err(SimError::NegativeBalance {
                step,
                account,
                balance: self.tokens(account),
            });
        }
        if let Some(j) = neg(&self.offering_stake) {
            let account = Account::OfferingStake(j as u32);
            return Err(SimError::NegativeBalance {
                step,
                account,
                balance: self.tokens(account),
            });
        }
        if let Some(j) = neg(&self.offering_tokens) {
            let account = Account::Offering(j as u32);
            return Err(SimError::NegativeBalance {
                step,
                account,
                balance: self.tokens(account),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Ledger {
        let mut l = Ledger::new(3);
        l.open_offering();
        l.genesis_tokens(Account::Treasury, 1_000);
        l.genesis_tokens(Account::Pool, 500);
        l.endow_usd(Account::Pool, 7_000);
        l
    }

    #[test]
    fn transfers_conserve_and_balance() {
        let mut l = small();
        l.transfer_tokens(
            0,
            Account::Treasury,
            Account::Customer(1),
            300,
            Flow::Payment,
        )
        .unwrap();
        l.transfer_tokens(
            0,
            Account::Customer(1),
            Account::Offering(0),
            120,
            Flow::Payment,
        )
        .unwrap();
        l.transfer_usd(
            0,
            Account::Pool,
            Account::Offering(0),
            2_000,
            Flow::ExchangeOut,
        )
        .unwrap();
        l.transfer_usd(
            0,
            Account::Offering(0),
            Account::External,
            5_000,
            Flow::Cost,
        )
        .unwrap();
        assert_eq!(l.tokens(Account::Customer(1)), 180);
        assert_eq!(l.tokens(Account::Offering(0)), 120);
        assert_eq!(
            l.usd(Account::Offering(0)),
            -3_000,
            "firm cash may go into debt"
        );
        assert_eq!(l.usd(Account::External), -7_000 + 5_000);
        l.check(0).unwrap();
        let f = l.take_flows();
        assert_eq!(f.tokens[Flow::Payment as usize], 420);
        assert_eq!(f.tokens[Flow::Genesis as usize], 1_500);
        assert_eq!(l.take_flows(), FlowTotals::default());
    }

    #[test]
    fn overdraft_fails_and_changes_nothing() {
        let mut l = small();
        let err = l.transfer_tokens(4, Account::Customer(0), Account::Treasury, 1, Flow::Fee);
        assert!(matches!(
            err,
            Err(SimError::Insufficient {
                step: 4,
                balance: 0,
                amount: 1,
                ..
            })
        ));
        let err = l.transfer_usd(4, Account::Treasury, Account::External, 1, Flow::Cost);
        assert!(matches!(err, Err(SimError::Insufficient { .. })));
        assert_eq!(l.tokens(Account::Treasury), 1_000);
        l.check(4).unwrap();
    }

    #[test]
    fn mint_and_burn_change_supply_only_explicitly() {
        let mut l = small();
        l.mint(Account::Treasury, 250);
        l.burn(1, Account::Pool, 100).unwrap();
        assert_eq!(l.total_supply(), 1_500 + 250 - 100);
        assert_eq!((l.minted(), l.burned()), (250, 100));
        l.check(1).unwrap();
        assert!(l.burn(1, Account::Customer(2), 1).is_err());
    }

    #[test]
    fn check_detects_a_leak() {
        let mut l = small();
        l.customer_tokens[2] += 5; // bypass the API, as a bug would
        match l.check(9) {
            Err(SimError::Conservation {
                step: 9,
                tokens_error: 5,
                usd_error: 0,
            }) => {}
            other => panic!("expected a conservation error, got {other:?}"),
        }
        l.customer_tokens[2] -= 5;
        l.offering_usd[0] += 1;
        assert!(matches!(
            l.check(9),
            Err(SimError::Conservation { usd_error: 1, .. })
        ));
    }
}
