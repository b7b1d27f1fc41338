import CGemm

/// This core's float32 arithmetic ceilings, measured: the fused multiply-add rate of a kernel
/// family's widest registers, and the rate of the divider that Adam needs once per parameter (a
/// square root and a division share it). A training step's floor — the arithmetic it must do, at
/// these rates, with nothing else costing anything — is computed from them (`qf bench agents`).
///
/// Each probe runs independent chains, more than the pipelines times their latency, so only issue
/// throughput bounds it; `measure` keeps the fastest of several samples, since a shared machine
/// can only make a sample slower, never faster, than the core.
public struct ArithmeticCeiling: Sendable, Codable, Equatable {
    /// Float32 floating-point operations per second of fused multiply-adds (two per FMA lane).
    public var fmaFlopsPerSecond: Double
    /// Seconds for one 8-lane square root and one 8-lane division (eight parameters of Adam).
    public var dividerSecondsPerEightLanes: Double
    /// The family whose registers were probed.
    public var family: String

    public init(fmaFlopsPerSecond: Double, dividerSecondsPerEightLanes: Double, family: String) {
        self.fmaFlopsPerSecond = fmaFlopsPerSecond
        self.dividerSecondsPerEightLanes = dividerSecondsPerEightLanes
        self.family = family
    }

    /// Probes `family` (the active one by default; OpenBLAS-only machines have no probe and
    /// return nil), `samples` times each, about `secondsPerSample` a sample.
    public static func measure(family: GemmBackend = GemmKernels.active, samples: Int = 7, secondsPerSample: Double = 0.05,
                               clock: () -> UInt64) -> ArithmeticCeiling? {
        guard family != .openblas else { return nil }
        let lanes = family == .avx512 ? 16.0 : 8.0
        let flopsPerRound = Double(QF_FMA_PROBE_CHAINS) * lanes * 2
        let fmaRounds = fastest(samples: samples, seconds: secondsPerSample, clock: clock) { qf_fma_probe(family.family, $0) }
        let dividerRounds = fastest(samples: samples, seconds: secondsPerSample, clock: clock) { qf_divider_probe(family.family, $0) }
        return ArithmeticCeiling(fmaFlopsPerSecond: flopsPerRound * fmaRounds, dividerSecondsPerEightLanes: 1 / (8 * dividerRounds),
                                 family: family.rawValue)
    }

    /// The most rounds per second over `samples` timed calls of `probe`, each sized to last about
    /// `seconds` from a first calibration call.
    static func fastest(samples: Int, seconds: Double, clock: () -> UInt64, _ probe: (Int) -> Float) -> Double {
        var rounds = 1 << 16
        var best = 0.0
        var sink: Float = 0
        for sample in 0...samples {
            let t0 = clock()
            sink += probe(rounds)
            let elapsed = max(Double(clock() - t0) / 1e9, 1e-9)
            if sample == 0 {
                rounds = max(1 << 10, Int(Double(rounds) * seconds / elapsed))
                continue
            }
            best = max(best, Double(rounds) / elapsed)
        }
        // The probes' results only keep the compiler from deleting them.
        withExtendedLifetime(sink) {}
        return best
    }

    /// Seconds a step takes at these ceilings when it must do `flops` of products and an Adam
    /// update of `adamParameters` parameters, and nothing else costs anything.
    public func floorSeconds(flops: Double, adamParameters: Int) -> Double {
        flops / fmaFlopsPerSecond + Double(adamParameters) / 8 * dividerSecondsPerEightLanes
    }
}
