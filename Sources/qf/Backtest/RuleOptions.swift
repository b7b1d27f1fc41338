import ArgumentParser
import Backtest

/// A strategy of the user's own, as conditions over the bar file's columns (see
/// docs/expressions.md): `--entry` opens a long, `--exit` closes it, `--short-entry` and
/// `--short-exit` the same for shorts.
struct RuleOptions: ParsableArguments {
    @Option(help: "Condition that opens a long position when flat, e.g. \"crossed_above(sma(close, {fast}), sma(close, {slow}))\".") var entry: String?
    @Option(help: "Condition that closes a long position.") var exit: String?
    @Option(name: .customLong("short-entry"), help: "Condition that opens a short position (shorting is then on).") var shortEntry: String?
    @Option(name: .customLong("short-exit"), help: "Condition that closes a short position.") var shortExit: String?
    @Option(help: "Target position as a fraction of equity in [-1, 1] per bar, e.g. \"where(close > sma(close, 50), 1, -0.5)\" (NaN: no change).") var position: String?

    /// The rules, or nil when none is given.
    func rules() throws -> SignalRules? {
        if position != nil {
            guard entry == nil, exit == nil, shortEntry == nil, shortExit == nil else {
                throw ValidationError("--position is the whole strategy: leave out --entry, --exit, --short-entry and --short-exit")
            }
            return nil
        }
        guard entry != nil || shortEntry != nil else {
            guard exit == nil, shortExit == nil else { throw ValidationError("--exit and --short-exit go with --entry or --short-entry") }
            return nil
        }
        return SignalRules(entry: entry, exit: exit, shortEntry: shortEntry, shortExit: shortExit)
    }
}
