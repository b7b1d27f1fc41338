import Compute
import Foundation
import Testing

/// The generator against the reference implementation's published outputs, and the samplers'
/// distributions against their moments.
@Suite struct RandomTests {
    @Test func xoshiroMatchesReferenceVectors() throws {
        // Outputs of the reference xoshiro256** for state words (1, 2, 3, 4), as listed in the
        // test suite of the rand_xoshiro crate.
        var rng = try Xoshiro256(state: (1, 2, 3, 4))
        let expected: [UInt64] = [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360, 607988272756665600,
                                  16172922978634559625, 8476171486693032832, 10595114339597558777, 2904607092377533576]
        #expect((0..<10).map { _ in rng.next() } == expected)
    }

    @Test func sameSeedSameStreamAndStateRestores() throws {
        var a = Xoshiro256(seed: 42), b = Xoshiro256(seed: 42), c = Xoshiro256(seed: 43)
        let first = (0..<100).map { _ in a.next() }
        #expect(first == (0..<100).map { _ in b.next() })
        #expect(first != (0..<100).map { _ in c.next() })
        let words = a.stateWords
        var resumed = try Xoshiro256(state: (words[0], words[1], words[2], words[3]))
        #expect((0..<10).map { _ in a.nextNormal() } == (0..<10).map { _ in resumed.nextNormal() })
        #expect(throws: ComputeError.self) { try Xoshiro256(state: (0, 0, 0, 0)) }
    }

    @Test func uniformAndNormalMoments() {
        var rng = Xoshiro256(seed: 7)
        let n = 200_000
        var sum = 0.0, sumSquares = 0.0, low = Float.infinity, high = -Float.infinity
        for _ in 0..<n {
            let u = rng.nextUnitFloat()
            low = min(low, u); high = max(high, u)
            sum += Double(u); sumSquares += Double(u * u)
        }
        #expect(low >= 0 && high < 1)
        // Mean 1/2 (se 6.5e-4) and variance 1/12 (se 1.9e-4); 5 standard errors.
        #expect(abs(sum / Double(n) - 0.5) < 0.0033)
        let mean = sum / Double(n)
        #expect(abs(sumSquares / Double(n) - mean * mean - 1.0 / 12) < 0.001)
        sum = 0; sumSquares = 0
        var fourth = 0.0
        for _ in 0..<n {
            let z = Double(rng.nextNormal())
            sum += z; sumSquares += z * z; fourth += z * z * z * z
        }
        #expect(abs(sum / Double(n)) < 0.012)             // se 2.2e-3
        #expect(abs(sumSquares / Double(n) - 1) < 0.016)  // se 3.2e-3
        #expect(abs(fourth / Double(n) - 3) < 0.1)        // kurtosis 3 (se ~0.02)
    }

    @Test func indicesAreUnbiasedAndInRange() {
        var rng = Xoshiro256(seed: 8)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[rng.nextIndex(below: 7)] += 1 }
        // Each count ~ Binomial(70 000, 1/7): mean 10 000, sd 93.
        #expect(counts.allSatisfy { abs($0 - 10_000) < 470 })
        var weights: [Float] = [0, 3, 0, 1]
        var hits = [0, 0, 0, 0]
        for _ in 0..<40_000 { hits[rng.nextCategorical(weights: &weights, count: 4)] += 1 }
        #expect(hits[0] == 0 && hits[2] == 0 && abs(Double(hits[1]) / 40_000 - 0.75) < 0.011)
    }
}
