import Expressions
import Testing

/// What a sweep computes once for all its cells: the series functions more than one cell reaches,
/// without a `shift` of a column or of another kept series (blocks read those in place), computed
/// level by level so that a shared node over another (`ema(sma(close, n), 5)`) takes it as
/// computed — with the same bits as evaluating each node on its own.
@Suite struct SharedSeriesTests {
    @Test func sharedSeriesAreKeptOnceAndEqualTheirOwnEvaluation() throws {
        let frame = try RealData.frame("dji")
        let rule = "ema(sma(close, {n}), 5) > sma(close, {m}) and close > shift(highest(high, {n}), 1) and shift(close, 1) > 0"
        var graph = ExpressionGraph()
        var cells: [[ExpressionGraph.NodeID]] = []
        for n in [10.0, 20.0] {
            for m in [30.0, 40.0] {
                cells.append([try Compiler(columns: frame.columnNames, parameters: ["n": n, "m": m]).compile(rule, expecting: .condition, into: &graph)])
            }
        }
        let evaluator = Evaluator(graph: graph)
        let shared = evaluator.sharedFunctions(cells)
        func operations(_ ids: [ExpressionGraph.NodeID]) -> [String] { ids.map { "\(graph.nodes[$0].operation)" } }
        let kept = operations(shared)
        // sma(close, 10/20/30/40), ema of the first two, highest(high, 10/20): 8 series.
        #expect(shared.count == 8, "\(kept)")
        #expect(!shared.contains { if case .function(.shift, _) = graph.nodes[$0].operation { return true } else { return false } },
                "a shift of a column or of a kept series is read in place: \(kept)")
        #expect(shared.contains { if case .function(.ema, _) = graph.nodes[$0].operation { return true } else { return false } },
                "ema(sma(close, n), 5) is shared by the cells of its n: \(kept)")
        for threads in [1, 2] {
            let values = evaluator.evaluate(shared: shared, on: frame, threads: threads)
            #expect(Set(values.keys) == Set(shared))
            for id in shared {
                let own = evaluator.evaluate([id], on: frame)[0]
                #expect(zip(values[id]!, own).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(graph.nodes[id].operation), \(threads) threads")
            }
        }
    }
}
