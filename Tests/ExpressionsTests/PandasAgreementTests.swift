@testable import Expressions
import Foundation
import PythonCheck
import Testing

/// Every function against pandas on real daily bars (DJI 2000–, and the 29 symbols of DJ30 for
/// the cross-sectional ones), in the check venv: the same input columns are handed to pandas as
/// raw float64, and each value must agree to 1e-12 relative (with an absolute floor of 1e-12 of
/// the series' typical size, for values that cancel to near zero) with NaN in the same places.
/// pandas' rolling `std` and `corr` update running moments, which drifts ~1e-12 from the exact
/// value on these prices; ours are computed per window in two passes. Those are checked against
/// pandas at 1e-9 and against an exact computation (numpy, extended precision, per window) at 1e-12.
@Suite(.enabled(if: PythonCheck.isAvailable, "needs QF_PYTHON with pandas"))
struct PandasAgreementTests {
    /// Each expression with the pandas (or numpy, or a plain loop for TA-Lib's definitions) code
    /// that computes the same; `o h l c v` are the columns as Series.
    static let cases: [(String, String)] = [
        ("sma(close, 20)", "c.rolling(20).mean()"),
        ("ema(close, 12)", "c.ewm(span=12, adjust=False, min_periods=12).mean()"),
        ("wma(close, 10)", "c.rolling(10).apply(lambda w: np.dot(w, np.arange(1, 11)) / 55.0, raw=True)"),
        ("std(close, 20)", "c.rolling(20).std()"),
        ("std(close, 20)", "exact(c, 20, lambda w: w.std(ddof=1))"),
        ("sum(volume, 5)", "v.rolling(5).sum()"),
        ("highest(high, 20)", "h.rolling(20).max()"),
        ("lowest(low, 55)", "l.rolling(55).min()"),
        ("shift(close, 3)", "c.shift(3)"),
        ("diff(close, 2)", "c.diff(2)"),
        ("pct_change(close, 1)", "c.pct_change(1)"),
        ("zscore(close, 20)", "(c - c.rolling(20).mean()) / c.rolling(20).std()"),
        ("zscore(close, 20)", "(c - exact(c, 20, lambda w: w.mean())) / exact(c, 20, lambda w: w.std(ddof=1))"),
        ("rank(close, 10)", "c.rolling(10).rank(pct=True)"),
        ("corr(close, volume, 30)", "c.rolling(30).corr(v)"),
        ("corr(close, volume, 30)", "exact_corr(c, v, 30)"),
        ("rsi(close, 14)", "wilder_rsi(c, 14)"),
        ("atr(14)", "wilder_atr(h, l, c, 14)"),
        ("abs(diff(close, 1))", "c.diff(1).abs()"),
        ("log(close)", "np.log(c)"),
        ("exp(pct_change(close, 1))", "np.exp(c.pct_change(1))"),
        ("sqrt(volume)", "np.sqrt(v)"),
        ("sign(diff(close, 1))", "np.sign(c.diff(1))"),
        ("min(open, close)", "np.minimum(o, c)"),
        ("max(open, close)", "np.maximum(o, c)"),
        ("where(close > open, high, low)", "pd.Series(np.where(c > o, h, l))"),
        ("crossed_above(sma(close, 10), sma(close, 30))", "cross(c.rolling(10).mean(), c.rolling(30).mean())"),
        ("crossed_below(ema(close, 5), sma(close, 20))", "cross(c.rolling(20).mean(), c.ewm(span=5, adjust=False, min_periods=5).mean())"),
        ("ema(sma(close, 5), 10)", "c.rolling(5).mean().ewm(span=10, adjust=False, min_periods=10).mean()"),
        ("rsi(sma(close, 5), 14)", "wilder_rsi(c.rolling(5).mean(), 14)"),
        ("highest(shift(high, 1), 20)", "h.shift(1).rolling(20).max()"),
        ("(close - open) / (high - low + 1)", "(c - o) / (h - l + 1)"),
        ("close > sma(close, 50) and rsi(close, 14) < 70", "(c > c.rolling(50).mean()) & (wilder_rsi(c, 14) < 70)"),
        ("not (close >= open) or volume != shift(volume, 1)", "~(c >= o) | (v != v.shift(1))"),
        ("-close * 2 <= -open - 1", "(-c * 2) <= (-o - 1)"),
    ]

    static let script = """
        import sys, numpy as np, pandas as pd
        path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        raw = np.fromfile(path, dtype='<f8').reshape(5, n)
        o, h, l, c, v = (pd.Series(raw[k]) for k in range(5))
        def wilder_rsi(x, p):
            x = x.to_numpy(); r = np.full(len(x), np.nan); first = int(np.argmax(~np.isnan(x)))
            g = s = 0.0
            for i in range(first + p, len(x)):
                if i == first + p:
                    d = np.diff(x[first:first + p + 1]); g = d[d > 0].sum() / p; s = -d[d <= 0].sum() / p
                else:
                    d = x[i] - x[i - 1]; g = (g * (p - 1) + max(d, 0.0)) / p; s = (s * (p - 1) + max(-d, 0.0)) / p
                r[i] = (50.0 if g == 0 else 100.0) if s == 0 else 100.0 - 100.0 / (1.0 + g / s)
            return pd.Series(r)
        def wilder_atr(h, l, c, p):
            tr = pd.concat([h - l, (h - c.shift(1)).abs(), (l - c.shift(1)).abs()], axis=1).max(axis=1).to_numpy()
            r = np.full(len(tr), np.nan); a = 0.0
            for i in range(p, len(tr)):
                a = tr[1:p + 1].mean() if i == p else (a * (p - 1) + tr[i]) / p
                r[i] = a
            return pd.Series(r)
        def exact(x, n, f):
            w = np.lib.stride_tricks.sliding_window_view(x.to_numpy().astype(np.longdouble), n)
            return pd.Series(np.concatenate([np.full(n - 1, np.nan), np.array([f(r) for r in w], dtype=np.longdouble).astype('f8')]))
        def exact_corr(x, y, n):
            wx = np.lib.stride_tricks.sliding_window_view(x.to_numpy().astype(np.longdouble), n)
            wy = np.lib.stride_tricks.sliding_window_view(y.to_numpy().astype(np.longdouble), n)
            dx = wx - wx.mean(axis=1, keepdims=True); dy = wy - wy.mean(axis=1, keepdims=True)
            r = (dx * dy).sum(axis=1) / np.sqrt((dx * dx).sum(axis=1) * (dy * dy).sum(axis=1))
            return pd.Series(np.concatenate([np.full(n - 1, np.nan), r.astype('f8')]))
        def cross(a, b):
            return (a.shift(1) < b.shift(1)) & (a > b)
        cases = [line for line in sys.stdin.read().split('\\n') if line]
        result = np.stack([np.asarray(eval(code), dtype='f8') for code in cases])
        result.astype('<f8').tofile(out)
        """

    /// pandas' running-moment functions, checked at 1e-9 against pandas (and at 1e-12 against the exact ones).
    static func tolerance(_ code: String) -> Double {
        code.contains(".std()") || code.contains(".corr(") ? 1e-9 : 1e-12
    }

    static func agree(_ ours: [Double], _ theirs: [Double], tolerance: Double = 1e-12) -> (Bool, String) {
        let finite = theirs.filter(\.isFinite).map(abs)
        let scale = finite.isEmpty ? 1 : finite.reduce(0, +) / Double(finite.count)
        for i in ours.indices {
            let a = ours[i], b = theirs[i]
            if a.isNaN || b.isNaN {
                if a.isNaN != b.isNaN { return (false, "bar \(i): \(a) against \(b)") }
                continue
            }
            if a == b { continue }
            if abs(a - b) > tolerance * max(abs(b), scale) { return (false, "bar \(i): \(a) against \(b) (difference \(abs(a - b)))") }
        }
        return (true, "")
    }

    @Test func everyFunctionAgreesWithPandasOnDJI() throws {
        let frame = try RealData.frame("dji")
        var graph = ExpressionGraph()
        let compiler = Compiler(columns: frame.columnNames)
        var roots: [Int] = []
        for (text, _) in Self.cases {
            if let root = try? compiler.compile(text, expecting: .number, into: &graph) { roots.append(root); continue }
            roots.append(try compiler.compile(text, expecting: .condition, into: &graph))
        }
        let ours = Evaluator(graph: graph).evaluate(roots, on: frame)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-pandas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.f8"), output = dir.appendingPathComponent("out.f8")
        let raw = RealData.columns.flatMap { frame.columns[$0]! }
        try raw.withUnsafeBytes { try Data($0).write(to: input) }
        let (status, text) = try PythonCheck.run(Self.script, arguments: [input.path, String(frame.bars), output.path], stdin: Self.cases.map(\.1).joined(separator: "\n"))
        try #require(status == 0, "\(text)")
        let data = try Data(contentsOf: output)
        let theirs = data.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        try #require(theirs.count == Self.cases.count * frame.bars)
        for (k, (expression, code)) in Self.cases.enumerated() {
            let (ok, detail) = Self.agree(ours[k], Array(theirs[(k * frame.bars)..<((k + 1) * frame.bars)]), tolerance: Self.tolerance(code))
            #expect(ok, "\(expression) against \(code): \(detail)")
        }
    }

    @Test func crossSectionalFunctionsAgreeWithPandasOnDJ30() throws {
        let frame = try RealData.frame("dj30")
        #expect(frame.symbols.count == 29)
        var graph = ExpressionGraph()
        let compiler = Compiler(columns: frame.columnNames)
        let expressions = ["cs_rank(close)", "cs_zscore(pct_change(close, 5))", "cs_demean(rsi(close, 14))", "cs_rank(zscore(close, 20))"]
        let roots = try expressions.map { try compiler.compile($0, expecting: .number, into: &graph) }
        let ours = Evaluator(graph: graph).evaluate(roots, on: frame)
        let script = """
            import sys, numpy as np, pandas as pd
            path, s, n, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
            c = pd.DataFrame(np.fromfile(path, dtype='<f8').reshape(s, n).T)
            def wilder_rsi(x, p):
                x = x.to_numpy(); r = np.full(len(x), np.nan); g = q = 0.0
                for i in range(p, len(x)):
                    if i == p:
                        d = np.diff(x[:p + 1]); g = d[d > 0].sum() / p; q = -d[d <= 0].sum() / p
                    else:
                        d = x[i] - x[i - 1]; g = (g * (p - 1) + max(d, 0.0)) / p; q = (q * (p - 1) + max(-d, 0.0)) / p
                    r[i] = (50.0 if g == 0 else 100.0) if q == 0 else 100.0 - 100.0 / (1.0 + g / q)
                return pd.Series(r)
            def zs(d): return d.sub(d.mean(axis=1), axis=0).div(d.std(axis=1), axis=0)
            rsi = c.apply(lambda col: wilder_rsi(col, 14))
            z = (c - c.rolling(20).mean()) / c.rolling(20).std()
            results = [c.rank(axis=1, pct=True), zs(c.pct_change(5)), rsi.sub(rsi.mean(axis=1), axis=0), z.rank(axis=1, pct=True)]
            np.stack([r.to_numpy().T for r in results]).astype('<f8').tofile(out)
            """
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qf-pandas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.f8"), output = dir.appendingPathComponent("out.f8")
        try frame.columns["close"]!.withUnsafeBytes { try Data($0).write(to: input) }
        let (status, text) = try PythonCheck.run(script, arguments: [input.path, String(frame.symbols.count), String(frame.bars), output.path])
        try #require(status == 0, "\(text)")
        let theirs = try Data(contentsOf: output).withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        let size = frame.symbols.count * frame.bars
        try #require(theirs.count == expressions.count * size)
        for (k, expression) in expressions.enumerated() {
            let (ok, detail) = Self.agree(ours[k], Array(theirs[(k * size)..<((k + 1) * size)]))
            #expect(ok, "\(expression): \(detail)")
        }
    }
}
