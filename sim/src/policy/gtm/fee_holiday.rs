//! `fee_holiday` (MODEL.md §7.13): the platform's buyer fee f_b (`buyer = true`) and seller fee f_s
//! (`seller = true`) are 0 during the window, in every phase (choice, pricing floors, settlement,
//! entry). It spends nothing.

use super::gtm_params;

gtm_params! {
    /// Parameters of `fee_holiday`.
    pub struct Params {
        /// Whether the buyer fee is waived.
        pub buyer: bool = true,
        /// Whether the seller fee is waived.
        pub seller: bool = true,
    }
}

/// The (buyer, seller) fees in ppm at a step where the holiday `p` is on (`on`).
pub fn fees(p: &Params, on: bool, buyer_ppm: u32, seller_ppm: u32) -> (u32, u32) {
    if !on {
        return (buyer_ppm, seller_ppm);
    }
    (
        if p.buyer { 0 } else { buyer_ppm },
        if p.seller { 0 } else { seller_ppm },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waives_the_chosen_sides_in_the_window() {
        let p = Params {
            end_step: Some(180),
            seller: false,
            ..Params::default()
        };
        assert!(p.common().in_window(0) && !p.common().in_window(180));
        assert_eq!(fees(&p, true, 10_000, 20_000), (0, 20_000));
        assert_eq!(fees(&p, false, 10_000, 20_000), (10_000, 20_000));
        assert_eq!(fees(&Params::default(), true, 10_000, 20_000), (0, 0));
    }
}
