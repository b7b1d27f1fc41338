#if canImport(Glibc)
import Glibc
#endif

/// SplitMix64 (Steele, Lea, Flood): Ingest's small seeded generator (synthetic data, the
/// statistics reservoir). Ingest keeps its own so that it depends on nothing above CHDF5;
/// Compute's xoshiro256** serves training.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (Box–Muller, cosine branch).
    mutating func normal() -> Double {
        let u1 = 1 - unit(), u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
