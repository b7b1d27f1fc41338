import Compute

/// N copies of a discrete-action environment stepped together (gymnasium's vector environments):
/// observations in one N × observationCount matrix, one row per copy, so a policy acts on all of
/// them with one batched forward pass; rewards and episode ends in arrays. A copy whose episode
/// ends is reset at once and its row holds the new episode's first observation (auto-reset);
/// `dones[i]` marks that step as its episode's last.
public protocol VectorizedTradingEnvironment {
    /// Copies stepped together.
    var count: Int { get }
    var observationCount: Int { get }
    var actionCount: Int { get }

    /// Resets every copy (copy i with seed + i) and writes the first observations.
    mutating func reset(seed: UInt64, observations: Matrix)

    /// Takes `actions[i]` in copy i.
    mutating func step(actions: UnsafePointer<Int32>, observations: Matrix, rewards: UnsafeMutablePointer<Float>, dones: UnsafeMutablePointer<Float>)
}

/// Any environment, N times (array of structs): the general form, for environments without a
/// struct-of-arrays implementation. Each copy's episode length is measured once (the trading
/// environments' episodes have a fixed length from reset), so the last real step of an episode
/// is flagged in `dones` and the copy reset right after it.
public struct VectorizedEnvironment<E: TradingEnvironment>: VectorizedTradingEnvironment {
    public private(set) var copies: [E]
    let lengths: [Int]
    var taken: [Int]
    var episodes: [UInt64]
    var seed: UInt64 = 0

    public init(count: Int, _ make: (Int) -> E) {
        precondition(count > 0, "VectorizedEnvironment: at least one copy")
        copies = (0..<count).map(make)
        lengths = copies.map(\.probedEpisodeLength)
        precondition(lengths.allSatisfy { $0 > 0 }, "VectorizedEnvironment: every copy needs at least one step per episode")
        taken = [Int](repeating: 0, count: count)
        episodes = [UInt64](repeating: 0, count: count)
    }

    public var count: Int { copies.count }
    public var observationCount: Int { copies[0].observationCount }
    public var actionCount: Int { copies[0].actionCount }

    public mutating func reset(seed: UInt64, observations: Matrix) {
        self.seed = seed
        for i in copies.indices {
            episodes[i] = 0
            taken[i] = 0
            copies[i].reset(seed: seed &+ UInt64(i), observation: UnsafeMutableBufferPointer(start: observations.row(i), count: observations.cols))
        }
    }

    public mutating func step(actions: UnsafePointer<Int32>, observations: Matrix, rewards: UnsafeMutablePointer<Float>, dones: UnsafeMutablePointer<Float>) {
        for i in copies.indices {
            let row = UnsafeMutableBufferPointer(start: observations.row(i), count: observations.cols)
            rewards[i] = Float(copies[i].step(Int(actions[i]), observation: row).reward)
            taken[i] += 1
            dones[i] = taken[i] == lengths[i] ? 1 : 0
            if taken[i] == lengths[i] {
                episodes[i] += 1
                taken[i] = 0
                copies[i].reset(seed: seed &+ UInt64(i) &+ episodes[i] &* UInt64(count), observation: row)
            }
        }
    }
}

/// The peers' benchmark task (`ReturnSeriesEnvironment`), N copies in struct-of-arrays form: one
/// shared series of log returns, and per copy only its position in time and its position in the
/// market. Copy i starts at a seeded random offset and runs `episodeLength` steps before it is
/// reset to a new one (the last step of an episode reports `dones = 1`).
public struct VectorizedReturnSeries: VectorizedTradingEnvironment {
    public let logReturns: [Float]
    public let window: Int
    public let cost: Float
    public let episodeLength: Int
    public let count: Int
    /// Per copy: the next return's index, the steps taken in its episode, its position (−1, 0, 1).
    var t: [Int]
    var taken: [Int]
    var position: [Float]
    var rng = Xoshiro256(seed: 0)

    public init(logReturns: [Float], count: Int, episodeLength: Int, window: Int = 10, cost: Float = 0.001) {
        precondition(count > 0 && episodeLength > 0 && logReturns.count >= window + episodeLength,
                     "VectorizedReturnSeries: \(logReturns.count) returns for a window of \(window) and episodes of \(episodeLength)")
        self.logReturns = logReturns
        self.window = window
        self.cost = cost
        self.episodeLength = episodeLength
        self.count = count
        t = [Int](repeating: window, count: count)
        taken = [Int](repeating: 0, count: count)
        position = [Float](repeating: 0, count: count)
    }

    public var observationCount: Int { window + 1 }
    public var actionCount: Int { 3 }

    mutating func start(_ i: Int) {
        t[i] = window + rng.nextIndex(below: logReturns.count - window - episodeLength + 1)
        taken[i] = 0
        position[i] = 0
    }

    public mutating func reset(seed: UInt64, observations: Matrix) {
        rng = Xoshiro256(seed: seed)
        for i in 0..<count { start(i) }
        observe(observations)
    }

    public mutating func step(actions: UnsafePointer<Int32>, observations: Matrix, rewards: UnsafeMutablePointer<Float>, dones: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            let next = Float(actions[i] - 1)
            rewards[i] = next * logReturns[t[i]] - cost * abs(next - position[i])
            position[i] = next
            t[i] += 1
            taken[i] += 1
            dones[i] = taken[i] == episodeLength ? 1 : 0
            if taken[i] == episodeLength { start(i) }
        }
        observe(observations)
    }

    func observe(_ out: Matrix) {
        precondition(out.rows == count && out.cols == observationCount, "VectorizedReturnSeries: observations \(out.rows)×\(out.cols) for \(count)×\(observationCount)")
        logReturns.withUnsafeBufferPointer { r in
            for i in 0..<count {
                let row = out.row(i)
                (row).update(from: r.baseAddress! + t[i] - window, count: window)
                row[window] = position[i]
            }
        }
    }
}
