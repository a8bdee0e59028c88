//! What the CA's perspectives will likely see when a zone's authoritative servers disagree
//! (issue 10, `check --source`): each perspective's resolver draws one usable server per zone,
//! so the verdicts a draw can reach are weighed by the servers' shares, and the chance that an
//! issuance attempt passes Let's Encrypt's quorum follows (multi-perspective issuance
//! corroboration, BR §3.2.2.9; Boulder's `maxAllowedFailures`).
//!
//! The model treats perspectives as independent, uniform draws: it ignores round-trip bias and
//! anycast locality, which one vantage point cannot see (reports say so).

use super::verdict::Verdict;

/// One distinct answer a zone's servers give, and the share of its usable servers giving it.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice<T> {
    /// 0 to 1; a zone's shares add up to 1.
    pub share: f64,
    pub answer: T,
}

/// The shares of draws that end allowed, denied or in error (0 to 1, adding up to 1).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Outcomes {
    pub allowed: f64,
    pub denied: f64,
    pub error: f64,
    /// Estimated from a sample of draws (too many combinations to judge each): a rare draw
    /// may be missed, so no verdict is unanimous and none is "allowed" for sure.
    pub estimated: bool,
}

impl Outcomes {
    /// The share of draws a perspective ends without permission: denied or in error.
    pub fn failing(&self) -> f64 {
        self.denied + self.error
    }

    /// The share of draws that end in `verdict` (a refusal counts as denied).
    pub fn share(&self, verdict: Verdict) -> f64 {
        match verdict {
            Verdict::Allowed => self.allowed,
            Verdict::Denied | Verdict::Refused => self.denied,
            Verdict::Error => self.error,
        }
    }

    /// The verdict every draw reaches, if they all reach one (never known from a sample).
    pub fn unanimous(&self) -> Option<Verdict> {
        [Verdict::Allowed, Verdict::Denied, Verdict::Error]
            .into_iter()
            .find(|verdict| !self.estimated && self.share(*verdict) >= 1.0 - 1e-9)
    }

    /// The worst outcome some perspective can meet other than `awaited`: denied, else error,
    /// else allowed.
    pub fn worst_but(&self, awaited: Verdict) -> Verdict {
        [Verdict::Denied, Verdict::Error, Verdict::Allowed]
            .into_iter()
            .find(|verdict| *verdict != awaited && self.share(*verdict) > 0.0)
            .unwrap_or(awaited)
    }

    /// The worst outcome some perspective can meet: denied, else error, else allowed (never
    /// from a sample, which may have missed the draw that fails).
    pub fn worst(&self) -> Verdict {
        if self.denied > 0.0 {
            Verdict::Denied
        } else if self.error > 0.0 || self.estimated {
            Verdict::Error
        } else {
            Verdict::Allowed
        }
    }
}

/// Combinations judged one by one at most; beyond, the draws are sampled.
const MOST_COMBINATIONS: f64 = 65_536.0;
/// Draws sampled when the combinations are too many (servers that each answer differently):
/// the shares are then within about a percent.
const SAMPLED_DRAWS: u32 = 20_000;

/// Every combination of one answer per slot (a name, or a zone), judged by `judge`, weighed by
/// the product of the shares: what the draws come to. Slots with no choice contribute nothing
/// to draw. When the combinations are too many, a fixed sequence of random draws stands for
/// them, so the cost stays bounded whatever the servers answer.
pub fn outcomes<T>(zones: &[Vec<Choice<T>>], judge: impl Fn(&[&T]) -> Verdict) -> Outcomes {
    let mut outcomes = Outcomes::default();
    let combinations: f64 = zones.iter().map(|zone| zone.len().max(1) as f64).product();
    if combinations > MOST_COMBINATIONS {
        return sampled(zones, judge);
    }
    let mut picked: Vec<&T> = Vec::with_capacity(zones.len());
    draw(zones, 1.0, &mut picked, &judge, &mut outcomes);
    outcomes
}

fn sampled<T>(zones: &[Vec<Choice<T>>], judge: impl Fn(&[&T]) -> Verdict) -> Outcomes {
    let mut outcomes = Outcomes {
        estimated: true,
        ..Outcomes::default()
    };
    if zones.iter().any(Vec::is_empty) {
        return outcomes;
    }
    // xorshift64*, fixed seed: the same answers give the same report.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut unit = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    };
    let weight = 1.0 / f64::from(SAMPLED_DRAWS);
    let mut picked: Vec<&T> = Vec::with_capacity(zones.len());
    for _ in 0..SAMPLED_DRAWS {
        picked.clear();
        for zone in zones {
            let mut left = unit();
            let choice = zone
                .iter()
                .find(|choice| {
                    left -= choice.share;
                    left < 0.0
                })
                .or(zone.last());
            picked.extend(choice.map(|choice| &choice.answer));
        }
        match judge(&picked) {
            Verdict::Allowed => outcomes.allowed += weight,
            Verdict::Denied | Verdict::Refused => outcomes.denied += weight,
            Verdict::Error => outcomes.error += weight,
        }
    }
    outcomes
}

fn draw<'a, T>(
    zones: &'a [Vec<Choice<T>>],
    weight: f64,
    picked: &mut Vec<&'a T>,
    judge: &impl Fn(&[&T]) -> Verdict,
    outcomes: &mut Outcomes,
) {
    let Some((zone, rest)) = zones.split_first() else {
        match judge(picked) {
            Verdict::Allowed => outcomes.allowed += weight,
            Verdict::Denied | Verdict::Refused => outcomes.denied += weight,
            Verdict::Error => outcomes.error += weight,
        }
        return;
    };
    for choice in zone {
        picked.push(&choice.answer);
        draw(rest, weight * choice.share, picked, judge, outcomes);
        picked.pop();
    }
}

/// Remote perspectives that may fail while the CA still issues: Boulder's
/// `maxAllowedFailures`, 1 for 2 to 5 remotes, 2 for 6 or more (0 below 2).
pub fn allowed_failures(remotes: u32) -> u32 {
    match remotes {
        0 | 1 => 0,
        2..=5 => 1,
        _ => 2,
    }
}

/// The chance an issuance attempt passes, when each perspective fails with chance `failing`:
/// the primary must pass (its failure is final), and no more than `allowed_failures` of the
/// `remotes` may fail.
pub fn chance_of_issuance(failing: f64, remotes: u32) -> f64 {
    let failing = failing.clamp(0.0, 1.0);
    let passing = 1.0 - failing;
    let remotes_pass: f64 = (0..=allowed_failures(remotes).min(remotes))
        .map(|failures| {
            binomial(remotes, failures)
                * failing.powi(signed(failures))
                * passing.powi(signed(remotes - failures))
        })
        .sum();
    passing * remotes_pass
}

/// C(n, k), exactly enough for the few perspectives a CA runs.
fn binomial(n: u32, k: u32) -> f64 {
    (0..k).fold(1.0, |product, i| {
        product * f64::from(n - i) / f64::from(i + 1)
    })
}

fn signed(count: u32) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 0.005
    }

    #[test]
    fn chance_of_issuance_with_four_remotes_one_of_which_may_fail() {
        assert!(close(chance_of_issuance(0.0, 4), 1.0));
        assert!(close(chance_of_issuance(0.1, 4), 0.85));
        assert!(close(chance_of_issuance(0.25, 4), 0.55));
        assert!(close(chance_of_issuance(0.5, 4), 0.16));
        assert!(close(chance_of_issuance(1.0, 4), 0.0));
    }

    #[test]
    fn allowed_failures_follow_boulder() {
        assert_eq!(allowed_failures(1), 0);
        assert_eq!(allowed_failures(4), 1);
        assert_eq!(allowed_failures(5), 1);
        assert_eq!(allowed_failures(6), 2);
    }

    #[test]
    fn draws_are_weighed_by_the_servers_shares_across_zones() {
        // The name's zone: a stale secondary (1 of 3) still denies; the parent agrees.
        let name_zone = vec![
            Choice {
                share: 2.0 / 3.0,
                answer: Verdict::Allowed,
            },
            Choice {
                share: 1.0 / 3.0,
                answer: Verdict::Denied,
            },
        ];
        let parent_zone = vec![Choice {
            share: 1.0,
            answer: Verdict::Allowed,
        }];
        let outcomes = outcomes(&[name_zone, parent_zone], |picked| {
            if picked.contains(&&Verdict::Denied) {
                Verdict::Denied
            } else {
                Verdict::Allowed
            }
        });
        assert!(close(outcomes.allowed, 2.0 / 3.0));
        assert!(close(outcomes.denied, 1.0 / 3.0));
        assert_eq!(outcomes.worst(), Verdict::Denied);
        assert!(close(chance_of_issuance(outcomes.failing(), 4), 0.395));
    }

    #[test]
    fn servers_that_agree_leave_one_outcome() {
        let zone = vec![Choice {
            share: 1.0,
            answer: (),
        }];
        let outcomes = outcomes(&[zone], |_| Verdict::Error);
        assert_eq!(outcomes.error, 1.0);
        assert_eq!(outcomes.worst(), Verdict::Error);
    }

    #[test]
    fn too_many_combinations_are_sampled_within_a_percent() {
        let halves = |_| {
            vec![
                Choice {
                    share: 0.5,
                    answer: 0,
                },
                Choice {
                    share: 0.5,
                    answer: 1,
                },
            ]
        };
        // 2^20 combinations: sampled.
        let slots: Vec<Vec<Choice<u8>>> = (0..20).map(halves).collect();
        let found = outcomes(&slots, |picked| {
            if *picked[0] == 1 {
                Verdict::Denied
            } else {
                Verdict::Allowed
            }
        });
        assert!((found.denied - 0.5).abs() < 0.02, "{found:?}");
        assert!(found.estimated && found.unanimous().is_none());
        let all_allowed = outcomes(&slots, |_| Verdict::Allowed);
        assert_eq!(all_allowed.unanimous(), None);
        assert_eq!(
            all_allowed.worst(),
            Verdict::Error,
            "never allowed from a sample"
        );
        assert!(
            (found.allowed + found.denied - 1.0).abs() < 1e-6,
            "{found:?}"
        );
    }
}
