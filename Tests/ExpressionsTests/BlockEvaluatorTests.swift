import Expressions
import Foundation
import Testing

/// A sweep cell's own nodes evaluated block by block give the same bits as `Evaluator` over whole
/// series, on DJI's daily bars, at block sizes that put boundaries everywhere (1, 7, 1,024 and one
/// block for all), with the windows shared as a sweep shares them; what blocks cannot do is left to
/// `Evaluator`.
@Suite struct BlockEvaluatorTests {
    static let rules = [
        "close > shift(highest(high, 20), 1)",                                  // Donchian entry
        "crossed_above(sma(close, 10), sma(close, 30))",                         // crossing of shared series
        "crossed_below(close - sma(close, 10), 0)",                              // crossing of a cell's own node and a constant
        "zscore(close, 20) < -1.5 and rsi(close, 14) < 35",                      // comparisons with constants, logic
        "not (close >= open) or where(volume > sma(volume, 5), 1, 0) == 1",     // not, >=, where, ==
        "abs(close / shift(close, 1) - 1) > 0.01 and min(open, close) != max(open, close)",
        "shift(close, 3) <= log(exp(close))",
    ]

    @Test func blocksGiveTheSameBitsAsWholeSeries() throws {
        let frame = try RealData.frame("dji")
        for rule in Self.rules {
            var graph = ExpressionGraph()
            let root = try Compiler(columns: frame.columnNames).compile(rule, expecting: .condition, into: &graph)
            let evaluator = Evaluator(graph: graph)
            let expected = evaluator.evaluate([root], on: frame)[0]
            // The series functions taken as shared, as a sweep does for the windows its cells share.
            var known: [ExpressionGraph.NodeID: [Double]] = [:]
            for id in graph.nodes.indices {
                if case .function(let f, _) = graph.nodes[id].operation, !f.isElementwise, f != .crossedAbove, f != .crossedBelow, f != .shift {
                    known[id] = evaluator.evaluate([id], on: frame)[0]
                }
            }
            for size in [1, 7, 1_024, frame.bars] {
                let program = try #require(BlockEvaluator(graph: graph, roots: [root], known: known, frame: frame, blockSize: size), "\(rule)")
                var got = [Double](repeating: -1, count: frame.bars)
                program.forEachBlock(count: frame.bars) { start, length, values in
                    for i in 0..<length { got[start + i] = values[0][i] }
                }
                let same = zip(got, expected).allSatisfy { $0.bitPattern == $1.bitPattern }
                #expect(same, "\(rule), blocks of \(size): first difference at \(zip(got, expected).enumerated().first { $1.0.bitPattern != $1.1.bitPattern }?.offset ?? -1)")
            }
        }
    }

    @Test func aWindowOverACellsOwnNodeIsLeftToTheEvaluator() throws {
        let frame = try RealData.frame("dji")
        var graph = ExpressionGraph()
        let root = try Compiler(columns: frame.columnNames).compile("sma(close - open, 5) > 0", expecting: .condition, into: &graph)
        #expect(BlockEvaluator(graph: graph, roots: [root], known: [:], frame: frame) == nil)
        let shifted = try Compiler(columns: frame.columnNames).compile("shift(close - open, 2) > 0", expecting: .condition, into: &graph)
        #expect(BlockEvaluator(graph: graph, roots: [shifted], known: [:], frame: frame) == nil, "shift of a cell's own node")
    }
}
