/// xoshiro256** 1.0 (Blackman and Vigna): the seeded generator behind every random draw.
///
/// Fast, 256 bits of state, passes BigCrush; seeded through SplitMix64 so that nearby seeds give
/// unrelated streams. Its state can be read and restored (`state`), which is how checkpoints
/// resume a run bit-identically.
public struct Xoshiro256: RandomNumberGenerator, Sendable, Equatable {
    /// The four state words; never all zero.
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator seeded from `seed` through SplitMix64.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// A generator continuing from a saved state.
    /// - Throws: `ComputeError.invalidConfiguration` for the all-zero state, which never leaves zero.
    public init(state: (UInt64, UInt64, UInt64, UInt64)) throws {
        guard state != (0, 0, 0, 0) else {
            throw ComputeError.invalidConfiguration("xoshiro256** state must not be all zero")
        }
        self.state = state
    }

    /// The state as an array of four words (for checkpoints).
    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    @inlinable
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }

    public mutating func next() -> UInt64 {
        let result = Xoshiro256.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = Xoshiro256.rotl(state.3, 45)
        return result
    }

    public static func == (lhs: Xoshiro256, rhs: Xoshiro256) -> Bool { lhs.state == rhs.state }
}
