//! The project's one seedable pseudo-random generator (splitmix64), for generated data (the
//! `pyforge samples` files, the Access writer's sample and random tables) and the fuzzing smoke
//! run's mutations: reproducible from a seed, no dependency, not for anything that needs
//! unpredictability.
//!
//! ```
//! use pyforge_samples::rng::SplitMix64;
//! let (mut a, mut b) = (SplitMix64(7), SplitMix64(7));
//! assert_eq!(a.next(), b.next());
//! assert!(a.below(10) < 10 && a.index(0) == 0);
//! ```

/// splitmix64 (Steele, Lea and Flood); the state is the seed.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// An index into a slice of `len` items (0 when it is empty).
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}
