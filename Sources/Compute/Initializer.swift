import CBLAS

/// Weight initialisation schemes, with PyTorch's formulas so that a network set up the same way
/// starts from the same distribution.
///
/// For a weight of shape [out, in], fan_in = in and fan_out = out.
public enum Initializer: Sendable {
    /// U(−b, b) with b = gain·√(6 / (fan_in + fan_out)).
    case xavierUniform(gain: Float = 1)
    /// N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out)).
    case xavierNormal(gain: Float = 1)
    /// U(−b, b) with b = gain·√(3 / fan), gain from the nonlinearity (see `Nonlinearity.gain`).
    case kaimingUniform(a: Float = 0, mode: FanMode = .fanIn, nonlinearity: Nonlinearity = .leakyRelu)
    /// N(0, σ²) with σ = gain / √fan.
    case kaimingNormal(a: Float = 0, mode: FanMode = .fanIn, nonlinearity: Nonlinearity = .leakyRelu)
    /// A (semi-)orthogonal matrix times `gain`, from the QR decomposition of a Gaussian matrix
    /// (LAPACK sgeqrf + sorgqr) with the signs fixed by diag(R) so the result is uniformly
    /// distributed (Haar measure), as `torch.nn.init.orthogonal_` does.
    case orthogonal(gain: Float = 1)

    /// Which fan a Kaiming initialiser scales by.
    public enum FanMode: Sendable { case fanIn, fanOut }

    /// The nonlinearity a Kaiming initialiser preserves the variance through.
    public enum Nonlinearity: Sendable {
        case linear, relu, leakyRelu, tanh

        /// PyTorch's `calculate_gain`: 1, √2, √(2/(1+a²)), 5/3.
        public func gain(a: Float) -> Float {
            switch self {
            case .linear: return 1
            case .relu: return Float(2).squareRoot()
            case .leakyRelu: return (2 / (1 + a * a)).squareRoot()
            case .tanh: return 5.0 / 3.0
            }
        }
    }

    /// Overwrites `weight` with draws from this scheme.
    public func fill(_ weight: Matrix, using generator: inout some RandomNumberGenerator) {
        let fanIn = Float(weight.cols), fanOut = Float(weight.rows)
        switch self {
        case .xavierUniform(let gain):
            let bound = gain * (6 / (fanIn + fanOut)).squareRoot()
            generator.fillUniform(weight.base, count: weight.count, lower: -bound, upper: bound)
        case .xavierNormal(let gain):
            let std = gain * (2 / (fanIn + fanOut)).squareRoot()
            generator.fillNormal(weight.base, count: weight.count, standardDeviation: std)
        case .kaimingUniform(let a, let mode, let nonlinearity):
            let fan = mode == .fanIn ? fanIn : fanOut
            let bound = nonlinearity.gain(a: a) * (3 / fan).squareRoot()
            generator.fillUniform(weight.base, count: weight.count, lower: -bound, upper: bound)
        case .kaimingNormal(let a, let mode, let nonlinearity):
            let fan = mode == .fanIn ? fanIn : fanOut
            let std = nonlinearity.gain(a: a) / fan.squareRoot()
            generator.fillNormal(weight.base, count: weight.count, standardDeviation: std)
        case .orthogonal(let gain):
            Initializer.fillOrthogonal(weight, gain: gain, using: &generator)
        }
    }

    /// See `.orthogonal`. For rows < cols the rows come out orthonormal, otherwise the columns.
    static func fillOrthogonal(_ weight: Matrix, gain: Float, using generator: inout some RandomNumberGenerator) {
        let rows = weight.rows, cols = weight.cols
        if rows == 0 || cols == 0 { return }
        // Factor a tall m×n Gaussian matrix (m ≥ n); transpose at the end when rows < cols.
        let tall = rows >= cols
        let m = tall ? rows : cols, n = tall ? cols : rows
        let a = MatrixBuffer(rows: m, cols: n)
        generator.fillNormal(a.matrix.base, count: m * n)
        let tau = AlignedBuffer(count: n)
        var info = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, Int32(m), Int32(n), a.matrix.base, Int32(n), tau.base)
        precondition(info == 0, "LAPACKE_sgeqrf failed with info \(info)")
        // diag(R) sits on the diagonal of the factored matrix; its signs make Q unique.
        let signs = (0..<n).map { a.matrix[$0, $0] < 0 ? Float(-1) : Float(1) }
        info = LAPACKE_sorgqr(LAPACK_ROW_MAJOR, Int32(m), Int32(n), Int32(n), a.matrix.base, Int32(n), tau.base)
        precondition(info == 0, "LAPACKE_sorgqr failed with info \(info)")
        for r in 0..<m {
            for c in 0..<n {
                let q = a.matrix[r, c] * signs[c] * gain
                if tall { weight[r, c] = q } else { weight[c, r] = q }
            }
        }
    }
}
