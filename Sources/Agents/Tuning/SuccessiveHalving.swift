/// Successive halving's schedule (Jamieson & Talwalkar 2016; ASHA, Li et al. 2020): every trial
/// trains to the first rung of `minEpochs`; at each rung the best 1/η of the trials that reached
/// it go on to the next (rungs at r, rη, rη², … and finally `maxEpochs`), the rest stop there as
/// a normal end. Promotions are decided when every trial of a rung has reported (the synchronous
/// form), so the same seed always promotes the same trials, whatever order workers finish in.
public struct SuccessiveHalving: Codable, Sendable, Equatable {
    /// r: epochs of the first rung.
    public var minEpochs: Int
    /// η: one trial in η goes on from each rung.
    public var reduction: Int
    /// The last rung: the epochs of a trial trained to the end.
    public var maxEpochs: Int

    enum CodingKeys: String, CodingKey {
        case reduction
        case minEpochs = "min_epochs"
        case maxEpochs = "max_epochs"
    }

    /// `minEpochs` nil: maxEpochs / η² (at least 1), so a search has three rungs or so.
    public init(maxEpochs: Int, minEpochs: Int? = nil, reduction: Int = 3) throws {
        guard (1...100_000).contains(maxEpochs) else { throw AgentsError.invalidConfiguration("max_epochs: must be 1 to 100000, got \(maxEpochs)") }
        guard (2...100).contains(reduction) else { throw AgentsError.invalidConfiguration("reduction: η must be 2 to 100, got \(reduction)") }
        let r = minEpochs ?? max(1, maxEpochs / (reduction * reduction))
        guard (1...maxEpochs).contains(r) else { throw AgentsError.invalidConfiguration("min_epochs: must be 1 to max_epochs (\(maxEpochs)), got \(r)") }
        self.maxEpochs = maxEpochs
        self.minEpochs = r
        self.reduction = reduction
    }

    /// The rungs' epochs, increasing, the last `maxEpochs`.
    public var rungs: [Int] {
        var rungs: [Int] = []
        var e = minEpochs
        while e < maxEpochs {
            rungs.append(e)
            let (next, overflow) = e.multipliedReportingOverflow(by: reduction)
            if overflow { break }
            e = next
        }
        rungs.append(maxEpochs)
        return rungs
    }

    /// How many of `count` trials at a rung go on: ⌊count/η⌋, at least one.
    public func survivors(of count: Int) -> Int { max(1, count / reduction) }

    /// The trials that go on from a rung: the best `survivors(of:)` by score (higher is better;
    /// NaN ranks last), ties broken by the lower trial index.
    public func promoted(scores: [(trial: Int, score: Double)]) -> [Int] {
        let ranked = scores.sorted { a, b in
            let x = a.score.isNaN ? -Double.infinity : a.score, y = b.score.isNaN ? -Double.infinity : b.score
            return x != y ? x > y : a.trial < b.trial
        }
        return ranked.prefix(survivors(of: scores.count)).map(\.trial).sorted()
    }

    /// Epochs spent when every trial runs to `maxEpochs` / under this schedule, for `trials`
    /// trials that never stop early on their own.
    public func epochs(trials: Int) -> (full: Int, halving: Int) {
        var alive = trials, spent = 0, previous = 0
        for (i, rung) in rungs.enumerated() {
            spent += alive * (rung - previous)
            previous = rung
            if i < rungs.count - 1 { alive = survivors(of: alive) }
        }
        return (trials * maxEpochs, spent)
    }
}
